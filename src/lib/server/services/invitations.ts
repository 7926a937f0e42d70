// Invitations: an account created without a password, and a single-use link (72 h) mailed to its
// address with which the person chooses one. Opening the link proves the address, so it also
// counts as their confirmed two-factor address. The link itself is auth/account-links.ts's
// (purpose 'invite'): a keyed hash at rest, spent by one conditional UPDATE, the newest one live.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { affectedRows } from '../db/errors';
import { decidingTransaction } from '../db/transaction';
import { recordAudit } from '../db/audit-log';
import { findLiveLink, issueLink, revokeLinks, spendLink } from '../auth/account-links';
import { sha256Hex } from '../auth/crypto';
import { hashPassword, isUsablePasswordHash, unusablePasswordHash } from '../auth/password';
import type { AuthPolicy } from '../auth/policy';
import { hitWithin, release, type Hit } from '../auth/rate-limit';
import { requireMailedLinkOrigin } from '../auth/link-origin';
import {
	InvalidRequestError,
	InvitationLinkInvalidError,
	NotFoundError,
	NotInvitedError,
	TooManyRequestsError,
	UserExistsError
} from '../errors';
import { invitationMessage } from '../mail';
import type { Actor } from './actor';
import type { ServiceDeps } from './deps';
import { queueNotice } from './notices';
import { insertUser, lockUser } from './users';

/** Where the accept page lives; the token rides in the query, as the setup link's does. */
export const INVITATION_PATH = '/login/invite';

export interface Invitee {
	username: string;
	email: string;
	role: 'admin' | 'member';
}

/** An invitation whose mail was queued with it (the mail queue delivers it, retrying). */
export interface SentInvitation {
	id: string;
	expiresAt: Date;
}

/**
 * Creates an account without a usable password and mails it an invitation. A taken username or
 * address is refused before anything is counted or written. The user, the link and both audit
 * rows share one transaction; the mail goes after it commits.
 */
export async function inviteUser(
	deps: ServiceDeps,
	invitee: Invitee,
	actor: Actor<string | null>,
	requestUrl: URL | null
): Promise<SentInvitation> {
	const origin = requireMailedLinkOrigin(deps.policy, requestUrl);
	const now = deps.clock.now();
	if (await isTaken(deps.db, invitee)) throw new UserExistsError();
	const hits = await countInvitationMail(deps, { userId: null, email: invitee.email }, now);
	try {
		const { id, expiresAt } = await decidingTransaction(deps.db, async (trx) => {
			const trxDeps = { ...deps, db: trx };
			const id = await insertUser(trxDeps, invitee, unusablePasswordHash(), actor, now);
			const link = await issueInvitationLink(trx, deps.policy, id, invitee.email, actor, now);
			await recordAudit(trx, { event: 'invitation.sent', subjectId: id, ...actor }, now);
			await queueInvitation(trx, deps, invitee, origin, link);
			return { id, ...link };
		});
		return { id, expiresAt: new Date(expiresAt) };
	} catch (error) {
		await releaseAll(deps.db, hits);
		throw error;
	}
}

/**
 * A new link for someone who still has no password; the previous one stops working. Limited per
 * person and per address (one a minute, a few a day), so nobody can flood a mailbox with them.
 */
export async function resendInvitation(
	deps: ServiceDeps,
	actor: Actor,
	userId: string,
	requestUrl: URL | null
): Promise<SentInvitation> {
	const origin = requireMailedLinkOrigin(deps.policy, requestUrl);
	const now = deps.clock.now();
	const invitee = await requireInvitee(deps.db, userId);
	const hits = await countInvitationMail(deps, { userId, email: invitee.email }, now);
	try {
		const { expiresAt } = await decidingTransaction(deps.db, async (trx) => {
			// Under the row lock, so an acceptance committing meanwhile is seen: no link for someone
			// who has just chosen a password.
			await lockUser({ ...deps, db: trx }, userId);
			const current = await requireInvitee(trx, userId);
			if (current.email !== invitee.email) throw new InvalidRequestError('Try again');
			const link = await issueInvitationLink(trx, deps.policy, userId, invitee.email, actor, now);
			await recordAudit(trx, { event: 'invitation.resent', subjectId: userId, ...actor }, now);
			await queueInvitation(trx, deps, invitee, origin, link);
			return link;
		});
		return { id: userId, expiresAt: new Date(expiresAt) };
	} catch (error) {
		await releaseAll(deps.db, hits);
		throw error;
	}
}

/**
 * Ends the live invitation link. The account stays, with no usable password: nobody can sign in
 * to it until it is invited again or an administrator sets a password. Nothing live: refused,
 * and nothing is written (not even an audit row).
 */
export async function revokeInvitation(
	deps: ServiceDeps,
	actor: Actor,
	userId: string
): Promise<void> {
	const now = deps.clock.now();
	await decidingTransaction(deps.db, async (trx) => {
		await lockUser({ ...deps, db: trx }, userId);
		if ((await revokeLinks(trx, userId, 'invite', now)) === 0) {
			throw new InvalidRequestError('This user has no live invitation to revoke');
		}
		await recordAudit(trx, { event: 'invitation.revoked', subjectId: userId, ...actor }, now);
	});
}

/** What the accept page shows for a live link (whose account still waits for a password), or null. */
export async function findInvitation(
	deps: ServiceDeps,
	token: string
): Promise<{ username: string; expiresAt: Date } | null> {
	const live = await liveInvitation(deps.db, token, deps.clock.now());
	return live ? { username: live.username, expiresAt: new Date(live.expiresAt) } : null;
}

/**
 * The person sets their password with the link. The cheap checks come before the argon2 hash (an
 * anonymous caller must hold a live link to make the server hash anything); then one transaction
 * spends the link (its conditional UPDATE decides between two tabs) and sets the password and the
 * confirmed address, only if the account still has no password and still has the address the link
 * went to. Anything refused rolls the spend back and changes nothing.
 */
export async function acceptInvitation(
	deps: ServiceDeps,
	input: { token: string; password: string },
	origin: Actor<null>
): Promise<{ username: string }> {
	if (!(await liveInvitation(deps.db, input.token, deps.clock.now()))) {
		throw new InvitationLinkInvalidError();
	}
	const passwordHash = await hashPassword(input.password);
	const now = deps.clock.now();
	return decidingTransaction(deps.db, async (trx) => {
		const link = await spendLink(trx, 'invite', input.token, now);
		if (!link) throw new InvitationLinkInvalidError();
		const updated = await trx
			.updateTable('users')
			.set((eb) => ({
				// The link proved the account email; it is the two-factor address unless another is set.
				otp_email_confirmed_at: eb
					.case()
					.when(eb.or([eb('otp_email', 'is', null), eb('otp_email', '=', link.email)]))
					.then(now)
					.else(eb.ref('otp_email_confirmed_at'))
					.end(),
				password_hash: passwordHash,
				updated_at: now
			}))
			.where('id', '=', link.userId)
			.where('email', '=', link.email)
			.where('is_active', '=', 1)
			.where('password_hash', 'like', '!%')
			.executeTakeFirst();
		if (affectedRows(updated) !== 1) throw new InvitationLinkInvalidError();
		await recordAudit(
			trx,
			{ ...origin, event: 'invitation.accepted', actorId: link.userId, subjectId: link.userId },
			now
		);
		const user = await trx
			.selectFrom('users')
			.select('username')
			.where('id', '=', link.userId)
			.executeTakeFirstOrThrow();
		return { username: user.username };
	});
}

export type InvitationStatus = 'pending' | 'expired' | 'revoked' | 'none';

/** An account without a password, as the admin pages show it. */
export interface InvitationState {
	/** pending: a live link; expired / revoked: the last one; none: no link left (swept). */
	status: InvitationStatus;
	sentAt: Date | null;
	expiresAt: Date | null;
}

/**
 * The invitation state of each of these accounts (those without a usable password), from their
 * newest invitation link: one indexed query for a page of users.
 */
export async function invitationStates(
	db: Kysely<Database>,
	userIds: string[],
	now: number
): Promise<Map<string, InvitationState>> {
	const states = new Map<string, InvitationState>(
		userIds.map((id) => [id, { status: 'none', sentAt: null, expiresAt: null }])
	);
	if (userIds.length === 0) return states;
	const links = await db
		.selectFrom('account_links')
		.select(['user_id', 'created_at', 'expires_at', 'used_at'])
		.where('purpose', '=', 'invite')
		.where('user_id', 'in', userIds)
		.orderBy('created_at', 'asc')
		.execute();
	// Oldest first, so the newest link of each person is the one that stays.
	for (const link of links) {
		const expiresAt = Number(link.expires_at);
		const status: InvitationStatus =
			link.used_at !== null ? 'revoked' : expiresAt <= now ? 'expired' : 'pending';
		states.set(link.user_id, {
			status,
			sentAt: new Date(Number(link.created_at)),
			expiresAt: new Date(expiresAt)
		});
	}
	return states;
}

/** The role of the account an invitation would be resent to (its tier check needs it first). */
export async function roleOfUser(deps: ServiceDeps, userId: string): Promise<'admin' | 'member'> {
	const user = await deps.db
		.selectFrom('users')
		.select('role')
		.where('id', '=', userId)
		.executeTakeFirst();
	if (!user) throw new NotFoundError('No such user');
	return user.role;
}

// --- helpers ---------------------------------------------------------------------------------

async function isTaken(db: Kysely<Database>, invitee: Invitee): Promise<boolean> {
	const row = await db
		.selectFrom('users')
		.select('id')
		.where((eb) => eb.or([eb('username', '=', invitee.username), eb('email', '=', invitee.email)]))
		.executeTakeFirst();
	return row !== undefined;
}

/** The account an invitation may be (re)sent to: one with no usable password and an address. */
async function requireInvitee(
	db: Kysely<Database>,
	userId: string
): Promise<Invitee & { email: string }> {
	const user = await db
		.selectFrom('users')
		.select(['username', 'email', 'role', 'password_hash', 'is_active'])
		.where('id', '=', userId)
		.executeTakeFirst();
	if (!user) throw new NotFoundError('No such user');
	if (isUsablePasswordHash(user.password_hash)) throw new NotInvitedError();
	if (user.email === null) {
		throw new InvalidRequestError('This user has no email address: add one to their profile first');
	}
	if (user.is_active !== 1) {
		throw new InvalidRequestError('This user is deactivated: reactivate them first');
	}
	return { username: user.username, email: user.email, role: user.role };
}

async function issueInvitationLink(
	trx: Kysely<Database>,
	policy: AuthPolicy,
	userId: string,
	email: string,
	actor: Actor<string | null>,
	now: number
): Promise<{ token: string; expiresAt: number }> {
	const link = await issueLink(
		trx,
		{
			purpose: 'invite',
			userId,
			email,
			createdBy: actor.actorId,
			ttlMs: policy.invitations.ttlMs
		},
		now
	);
	return { token: link.token, expiresAt: link.expiresAt };
}

/** A live link whose account still waits for its password, at the address the link went to. */
async function liveInvitation(
	db: Kysely<Database>,
	token: string,
	now: number
): Promise<{ username: string; expiresAt: number } | null> {
	const link = await findLiveLink(db, 'invite', token, now);
	if (!link) return null;
	const user = await db
		.selectFrom('users')
		.select(['username', 'email', 'password_hash', 'is_active'])
		.where('id', '=', link.userId)
		.executeTakeFirst();
	if (!user || user.email !== link.email || user.is_active !== 1) return null;
	if (isUsablePasswordHash(user.password_hash)) return null;
	return { username: user.username, expiresAt: link.expiresAt };
}

/**
 * Counts one invitation mail against the person (when they exist yet) and the address: one per
 * interval and a daily cap each. Refused: the buckets counted so far get their hit back.
 */
async function countInvitationMail(
	deps: ServiceDeps,
	to: { userId: string | null; email: string },
	now: number
): Promise<Hit[]> {
	const { mailIntervalMs, mailsPerDay } = deps.policy.invitations;
	const keys = [
		...(to.userId ? [`invite:user:${to.userId}`] : []),
		`invite:addr:${sha256Hex(to.email)}`
	];
	const hits: Hit[] = [];
	for (const key of keys) {
		for (const [window, max] of [
			[mailIntervalMs, 1],
			[DAY, mailsPerDay]
		] as const) {
			const limited = await hitWithin(deps.db, `${key}:${window}`, window, max, now);
			if (!limited.ok) {
				await releaseAll(deps.db, hits);
				throw TooManyRequestsError.after(limited.retryAfterMs);
			}
			hits.push(limited.counted);
		}
	}
	return hits;
}

const DAY = 24 * 60 * 60 * 1000;

async function releaseAll(db: Kysely<Database>, hits: Hit[]): Promise<void> {
	await Promise.all(hits.map((counted) => release(db, counted)));
}

/** The one place an invitation is mailed: queued in the transaction that made its link. */
async function queueInvitation(
	trx: Kysely<Database>,
	deps: ServiceDeps,
	invitee: Invitee,
	origin: string,
	link: { token: string; expiresAt: number }
): Promise<void> {
	const url = `${origin}${INVITATION_PATH}?token=${link.token}`;
	const message = invitationMessage({
		username: invitee.username,
		url,
		expiresAt: new Date(link.expiresAt)
	});
	await queueNotice(trx, deps, invitee.email, message);
}
