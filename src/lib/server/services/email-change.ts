// A new account email takes effect only once a link mailed to it is opened (and its button
// pressed: a GET only shows the button, so a mail scanner that fetches links confirms nothing).
// Asking for it needs step-up (the procedures check it); the current address is told at once and
// gets a single-use "this wasn't me" link that cancels the change, signs the account out
// everywhere and leaves an audit row for the administrators. The pending change is the live
// `email` link in account_links: a newer request revokes the older link, so a stale link fails.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { affectedRows, isUniqueViolation } from '../db/errors';
import { decidingTransaction } from '../db/transaction';
import { recordAudit } from '../db/audit-log';
import {
	findLiveLink,
	isLinkTokenShape,
	issueLink,
	revokeLinks,
	spendLink,
	type IssuedLink
} from '../auth/account-links';
import { release } from '../auth/rate-limit';
import { forgetRememberedDevices } from '../auth/remembered-devices';
import {
	AccountLinkInvalidError,
	ApiTokenNotAllowedError,
	EmailTakenError,
	InvalidFieldsError,
	LinkForAnotherAccountError,
	NotFoundError,
	SiteAddressUnknownError,
	UserExistsError
} from '../errors';
import {
	addressChangedMessage,
	emailChangeLinkMessage,
	emailChangeRequestedMessage,
	maskEmail
} from '../mail';
import type { Actor } from './actor';
import type { ServiceDeps } from './deps';
import { countWithin } from './limits';
import { queueNotice, requestOf } from './notices';
import { lockUser } from './users';

const HOUR = 60 * 60 * 1000;

/** Where the links point: `${origin}/email/confirm?token=...` and `/email/report?token=...`. */
export const CONFIRM_PATH = '/email/confirm';
export const REPORT_PATH = '/email/report';

export interface PendingEmailChange {
	email: string;
	expiresAt: Date;
}

/** A change written in a transaction, mailed once it has committed. */
export interface IssuedEmailChange {
	userId: string;
	email: string;
	previous: string | null;
	link: IssuedLink;
	report: IssuedLink | null;
	byAdministrator: boolean;
	at: number;
}

/** The origin links are built on; none known (no ORIGIN, no request): refused before any change. */
export function requireOrigin(origin: string | null): string {
	if (!origin) throw new SiteAddressUnknownError();
	return origin;
}

/**
 * Refuses an address another account has (its account email), and the account's own. The
 * confirmation checks again: the unique index decides in the end.
 */
export async function checkNewAddress(
	db: Kysely<Database>,
	userId: string,
	email: string
): Promise<void> {
	const owner = await db
		.selectFrom('users')
		.select('id')
		.where('email', '=', email)
		.executeTakeFirst();
	if (!owner) return;
	if (owner.id === userId) {
		throw new InvalidFieldsError(
			{ email: 'This is already the account’s email' },
			'This is already the account’s email'
		);
	}
	throw new UserExistsError();
}

/**
 * Inside the caller's transaction: the link to the new address (revoking an older one, whose link
 * then fails), the "this wasn't me" link to the current address, and the audit row. Earlier report
 * links stay live: a second request must not disarm the one the owner already holds.
 */
export async function issueEmailChange(
	trx: Kysely<Database>,
	deps: ServiceDeps,
	actor: Actor,
	userId: string,
	email: string,
	origin: string,
	now: number
): Promise<IssuedEmailChange> {
	// Requests for one user queue on their row, so "the newest link wins" holds under races.
	await lockUser({ ...deps, db: trx }, userId);
	const user = await trx
		.selectFrom('users')
		.select('email')
		.where('id', '=', userId)
		.executeTakeFirstOrThrow();
	if (user.email === email) {
		throw new InvalidFieldsError(
			{ email: 'This is already the account’s email' },
			'This is already the account’s email'
		);
	}
	const { linkTtlMs, reportTtlMs } = deps.policy.emailChange;
	const createdBy = actor.actorId === userId ? null : actor.actorId;
	const link = await issueLink(
		trx,
		{ purpose: 'email', userId, email, createdBy, ttlMs: linkTtlMs },
		now
	);
	const report = user.email
		? await issueLink(
				trx,
				{
					purpose: 'email_undo',
					userId,
					email: user.email,
					createdBy,
					ttlMs: reportTtlMs,
					keepEarlier: true
				},
				now
			)
		: null;
	await recordAudit(
		trx,
		{ event: 'email_change.requested', subjectId: userId, details: `to ${email}`, ...actor },
		now
	);
	const issued: IssuedEmailChange = {
		userId,
		email,
		previous: user.email,
		link,
		report,
		byAdministrator: createdBy !== null,
		at: now
	};
	await queueEmailChangeMails(trx, deps, actor, issued, origin);
	return issued;
}

/**
 * The two mails of a request, queued in its transaction: the link to the new address and the
 * notice (with the report link) to the current one.
 */
async function queueEmailChangeMails(
	trx: Kysely<Database>,
	deps: ServiceDeps,
	actor: Actor,
	issued: IssuedEmailChange,
	origin: string
): Promise<void> {
	const at = new Date(issued.at);
	const url = `${origin}${CONFIRM_PATH}?token=${issued.link.token}`;
	await queueNotice(
		trx,
		deps,
		issued.email,
		emailChangeLinkMessage({ url, expiresAt: new Date(issued.link.expiresAt), at })
	);
	if (issued.previous && issued.report) {
		const message = emailChangeRequestedMessage({
			newAddress: maskEmail(issued.email),
			expiresAt: new Date(issued.link.expiresAt),
			reportUrl: `${origin}${REPORT_PATH}?token=${issued.report.token}`,
			reportExpiresAt: new Date(issued.report.expiresAt),
			byAdministrator: issued.byAdministrator,
			request: requestOf(actor, issued.at)
		});
		await queueNotice(trx, deps, issued.previous, message);
	}
}

/** Counts a request against the account's hourly allowance (each one mails an unproven address). */
export async function countEmailChangeRequest(deps: ServiceDeps, userId: string, now: number) {
	const max = deps.policy.emailChange.requestsPerHour;
	return countWithin(deps, `email-change:${userId}`, HOUR, max, now);
}

/**
 * Asks for a new account email for `userId` (a person's own, or an admin's for someone): nothing
 * changes until the link sent to it is opened.
 */
export async function requestEmailChange(
	deps: ServiceDeps,
	actor: Actor,
	userId: string,
	email: string,
	origin: string | null
): Promise<PendingEmailChange> {
	const base = requireOrigin(origin);
	const now = deps.clock.now();
	await checkNewAddress(deps.db, userId, email);
	const hit = await countEmailChangeRequest(deps, userId, now);
	let issued: IssuedEmailChange;
	try {
		issued = await decidingTransaction(deps.db, (trx) =>
			issueEmailChange(trx, deps, actor, userId, email, base, now)
		);
	} catch (error) {
		await release(deps.db, hit);
		throw error;
	}
	return { email, expiresAt: new Date(issued.link.expiresAt) };
}

/** Drops a pending change (its link stops working); with none pending it records nothing. */
export async function cancelEmailChange(
	deps: ServiceDeps,
	actor: Actor,
	userId: string
): Promise<{ cancelled: boolean }> {
	const now = deps.clock.now();
	return decidingTransaction(deps.db, async (trx) => {
		const user = await trx
			.selectFrom('users')
			.select('id')
			.where('id', '=', userId)
			.executeTakeFirst();
		if (!user) throw new NotFoundError('No such user');
		const cancelled = await revokeLinks(trx, userId, 'email', now);
		if (cancelled === 0) return { cancelled: false };
		const details = actor.actorId === userId ? 'by the owner' : 'by an administrator';
		await recordAudit(
			trx,
			{ event: 'email_change.cancelled', subjectId: userId, details, ...actor },
			now
		);
		return { cancelled: true };
	});
}

/** Who opens a link: the session's user when someone is signed in (null: nobody), never a token. */
export interface LinkOpener extends Actor<string | null> {
	viaApiToken: boolean;
}

function refuseApiToken(opener: LinkOpener): void {
	// The link is for a person in a browser; a script holding a token has no business with it.
	if (opener.viaApiToken) throw new ApiTokenNotAllowedError();
}

/** What the confirmation page shows before the button is pressed; reading spends nothing. */
export async function checkEmailLink(
	deps: ServiceDeps,
	opener: LinkOpener,
	token: string
): Promise<PendingEmailChange> {
	refuseApiToken(opener);
	const link = await findLiveLink(deps.db, 'email', token, deps.clock.now());
	if (!link) throw new AccountLinkInvalidError();
	if (opener.actorId !== null && opener.actorId !== link.userId) {
		throw new LinkForAnotherAccountError();
	}
	return { email: link.email, expiresAt: new Date(link.expiresAt) };
}

/**
 * Spends the link and sets the account email in one transaction: a refusal (the address taken
 * since, someone else signed in) rolls the spending back with it, so nothing changes. The link
 * proves the address, so when codes go to the account email it counts as confirmed for them.
 */
export async function confirmEmailChange(
	deps: ServiceDeps,
	opener: LinkOpener,
	token: string
): Promise<{ email: string }> {
	refuseApiToken(opener);
	if (!isLinkTokenShape(token)) throw new AccountLinkInvalidError();
	const now = deps.clock.now();
	const done = await decidingTransaction(deps.db, async (trx) => {
		const link = await spendLink(trx, 'email', token, now);
		if (!link) throw new AccountLinkInvalidError();
		if (opener.actorId !== null && opener.actorId !== link.userId) {
			throw new LinkForAnotherAccountError();
		}
		const before = await trx
			.selectFrom('users')
			.select('email')
			.where('id', '=', link.userId)
			.executeTakeFirstOrThrow();
		try {
			await trx
				.updateTable('users')
				.set((eb) => ({
					// First in the SET list: MySQL evaluates it before `email` is written.
					otp_email_confirmed_at: eb
						.case()
						.when('otp_email', 'is', null)
						.then(now)
						.else(eb.ref('otp_email_confirmed_at'))
						.end(),
					email: link.email,
					updated_at: now
				}))
				.where('id', '=', link.userId)
				.execute();
		} catch (error) {
			if (isUniqueViolation(error)) throw new EmailTakenError();
			throw error;
		}
		await recordAudit(
			trx,
			{
				event: 'email_change.confirmed',
				subjectId: link.userId,
				details: `to ${link.email}`,
				actorId: opener.actorId,
				ip: opener.ip,
				userAgent: opener.userAgent
			},
			now
		);
		if (before.email && before.email !== link.email) {
			const message = addressChangedMessage({
				what: 'account',
				newAddress: maskEmail(link.email),
				request: requestOf(opener, now)
			});
			await queueNotice(trx, deps, before.email, message);
		}
		return { email: link.email };
	});
	return { email: done.email };
}

/**
 * "This wasn't me", from the link mailed to the old address: cancels a pending change, ends every
 * session and remembered device of the account, and records `email_change.reported` for the
 * administrators. It only takes access away, so it needs no sign-in (the owner may be locked out)
 * and still works after the change was confirmed; it does not move the email back (whoever holds
 * the old mailbox now must not undo an administrator's change).
 */
export async function reportEmailChange(
	deps: ServiceDeps,
	opener: LinkOpener,
	token: string
): Promise<{ cancelled: boolean; sessionsEnded: number }> {
	refuseApiToken(opener);
	if (!isLinkTokenShape(token)) throw new AccountLinkInvalidError();
	const now = deps.clock.now();
	return decidingTransaction(deps.db, async (trx) => {
		const link = await spendLink(trx, 'email_undo', token, now);
		if (!link) throw new AccountLinkInvalidError();
		const cancelled = await revokeLinks(trx, link.userId, 'email', now);
		const sessionsEnded = affectedRows(
			await trx.deleteFrom('sessions').where('user_id', '=', link.userId).executeTakeFirst()
		);
		const reason = 'email change reported';
		await forgetRememberedDevices(trx, link.userId, now, { ...opener, reason });
		const details = `reported from ${link.email}; ${cancelled > 0 ? 'pending change cancelled' : 'no pending change'}; ${sessionsEnded} session(s) ended`;
		await recordAudit(
			trx,
			{
				event: 'email_change.reported',
				subjectId: link.userId,
				details,
				actorId: null,
				ip: opener.ip,
				userAgent: opener.userAgent
			},
			now
		);
		return { cancelled: cancelled > 0, sessionsEnded };
	});
}
