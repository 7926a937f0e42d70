// "Forgot password": a single-use link mailed to the account's address (30 minutes, hashed at
// rest, auth/account-links.ts), then a second factor that is not that mailbox where the account has
// one (an authenticator app, a security key, a backup token; email codes only for an account with
// nothing else), then the new password. The link, the factor and the password are spent and
// written in ONE transaction; the reset ends every session, remembered device, API token and other
// reset link of the account (services/password-change.ts), and the owner is told.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { Kysely } from 'kysely';
import { normalizeName } from '../../schemas/auth';
import {
	findLiveLink,
	issueLink,
	revokeLinks,
	spendLink,
	type IssuedLink
} from '../auth/account-links';
import { addressGroup } from '../auth/client-address';
import { keyedHash, sha256Hex } from '../auth/crypto';
import { hashPassword } from '../auth/password';
import { hitWithin } from '../auth/rate-limit';
import type { RelyingParty } from '../auth/relying-party';
import { openResetStep, resetStepToken } from '../auth/reset-step';
import type { SessionUser } from '../auth/types';
import { recordAudit } from '../db/audit-log';
import type { Database } from '../db/schema';
import { decidingTransaction } from '../db/transaction';
import {
	AccountLockedError,
	InvalidRequestError,
	NotFoundError,
	ResetFactorRequiredError,
	ResetLinkInvalidError
} from '../errors';
import { passwordResetDoneMessage, passwordResetLinkMessage } from '../mail';
import type { Actor } from './actor';
import type { ServiceDeps } from './deps';
import { countWithin } from './limits';
import { queueNotice, requestOf } from './notices';
import { replacePassword } from './password-change';
import {
	codeCheck,
	completeWithFactor,
	methodOf,
	type FactorCheck,
	type SecondFactorInput,
	type TriedIn
} from './second-factor';
import {
	resetAssertionCheck,
	securityKeyChallenge,
	type AuthenticationResponse
} from './security-key-sign-in';
import { describeSecondStep, type SecondFactorMethod } from './sign-in';
import { sendCode, type Resent, type SignInOrigin } from './sign-in-codes';
import { findUserForLogin } from './users';

/** The path a reset link opens; the token follows it. */
export const RESET_PATH = '/login/reset/';

/** The per-account bucket, one account whichever of its names was typed (as at sign-in). */
function accountKey(userId: string | null, login: string): string {
	return userId ? `user:${userId}` : `name:${normalizeName(login)}`;
}

function perAccountBucket(account: string): string {
	return `reset:account:${sha256Hex(account)}`;
}

/**
 * Asks for a reset link for `login` (a username or an email). Answers the same way whatever
 * happened: no account, a deactivated or locked one (no mail), a limit reached (no mail), or a
 * link sent. Every path does the same kind of work (limits, lookup, a keyed hash and a transaction
 * with an audit row), the mail is not waited for, and every answer takes at least
 * `answerFloorMs`, so neither wording nor timing tells whether the account exists.
 */
export async function requestPasswordReset(
	deps: ServiceDeps,
	origin: SignInOrigin,
	login: string,
	siteOrigin: string
): Promise<void> {
	const started = performance.now();
	try {
		await requestLink(deps, origin, login, siteOrigin);
	} finally {
		const left = deps.policy.passwordReset.answerFloorMs - (performance.now() - started);
		if (left > 0) await sleep(left);
	}
}

async function requestLink(
	deps: ServiceDeps,
	origin: SignInOrigin,
	login: string,
	siteOrigin: string
): Promise<void> {
	const { db, policy } = deps;
	const limits = policy.passwordReset;
	const now = deps.clock.now();
	const network = addressGroup(origin.ip);
	// The broadest limit first: a request it refuses reads and writes nothing more (no audit row),
	// so a flood from one network costs one indexed read each.
	const byAddress = await hitWithin(
		db,
		`reset:addr:${network}`,
		limits.windowMs,
		limits.perAddress,
		now
	);
	if (!byAddress.ok) return;
	const user = await findUserForLogin(deps, login);
	const account = accountKey(user?.id ?? null, login);
	// One network may spend only a few of an account's mails: someone else asking for the owner's
	// resets cannot use up the hour's budget from one place. Unknown names get the same buckets.
	const byAccountAndAddress = await hitWithin(
		db,
		`reset:account+addr:${sha256Hex(`${account}\0${network}`)}`,
		limits.windowMs,
		limits.perAccountAndAddress,
		now
	);
	const byAccount = byAccountAndAddress.ok
		? await hitWithin(db, perAccountBucket(account), limits.windowMs, limits.perAccount, now)
		: byAccountAndAddress;

	const audit = { ip: origin.ip, userAgent: origin.userAgent };
	const reason = !user
		? null
		: !byAccount.ok
			? 'no link: too many requests'
			: user.is_active !== 1
				? 'no link: account deactivated'
				: user.locked_at !== null
					? 'no link: account locked'
					: !user.email
						? 'no link: no email address'
						: 'link sent';
	if (user && user.email && reason === 'link sent') {
		const email = user.email;
		// The mail is queued with the link; the sender delivers it after the commit, so how long the
		// mail server takes never shows in the answer.
		await decidingTransaction(db, async (trx) => {
			const link = { userId: user.id, email, createdBy: null, ip: origin.ip };
			await issueResetLink(trx, deps, link, siteOrigin, now);
			await recordAudit(
				trx,
				{ event: 'password.reset_requested', subjectId: user.id, details: reason, ...audit },
				now
			);
		});
		return;
	}
	// The same work without a link: the token's keyed hash, a revocation that finds nothing and the
	// audit row, in a transaction. An unknown name is audited without what was typed (it may be a
	// password typed into the wrong field).
	await decidingTransaction(db, async (trx) => {
		keyedHash('account-link:reset', randomBytes(32).toString('base64url'));
		await revokeLinks(trx, '', 'reset', now);
		await recordAudit(
			trx,
			{
				event: 'password.reset_requested',
				subjectId: user?.id ?? null,
				details: reason ?? 'no link: unknown name',
				...audit
			},
			now
		);
	});
}

/**
 * A new reset link for the account (the older one stops working), its mail queued with it. The
 * mail says so when an administrator (`createdBy`) asked for it.
 */
async function issueResetLink(
	trx: Kysely<Database>,
	deps: ServiceDeps,
	request: { userId: string; email: string; createdBy: string | null; ip: string | null },
	siteOrigin: string,
	now: number
): Promise<IssuedLink> {
	const { userId, email, createdBy } = request;
	const ttlMs = deps.policy.passwordReset.linkTtlMs;
	const link = await issueLink(trx, { purpose: 'reset', userId, email, createdBy, ttlMs }, now);
	const message = passwordResetLinkMessage({
		url: siteOrigin + RESET_PATH + link.token,
		expiresAt: new Date(link.expiresAt),
		at: new Date(now),
		ip: request.ip,
		byAdministrator: createdBy !== null
	});
	await queueNotice(trx, deps, email, message);
	return link;
}

/**
 * An administrator mails a reset link to a user (instead of typing a password for them). The
 * account's mails count against the same hourly limit as the owner's own requests.
 */
export async function sendPasswordResetFor(
	deps: ServiceDeps,
	actor: Actor,
	userId: string,
	siteOrigin: string
): Promise<{ expiresAt: Date }> {
	const { db, policy } = deps;
	const limits = policy.passwordReset;
	const user = await db
		.selectFrom('users')
		.select(['id', 'email', 'is_active', 'locked_at'])
		.where('id', '=', userId)
		.executeTakeFirst();
	if (!user) throw new NotFoundError('No such user');
	if (!user.email) throw new InvalidRequestError('This user has no email address: add one first');
	if (user.is_active !== 1) {
		throw new InvalidRequestError('This user is deactivated: reactivate them first');
	}
	if (user.locked_at !== null)
		throw new InvalidRequestError('This account is locked: unlock it first');
	const email = user.email;
	const now = deps.clock.now();
	const account = accountKey(user.id, '');
	await countWithin(deps, perAccountBucket(account), limits.windowMs, limits.perAccount, now);
	const link = await decidingTransaction(db, async (trx) => {
		const request = { userId: user.id, email, createdBy: actor.actorId, ip: actor.ip };
		const issued = await issueResetLink(trx, deps, request, siteOrigin, now);
		await recordAudit(
			trx,
			{
				event: 'password.reset_requested',
				subjectId: user.id,
				details: 'link sent by an administrator',
				...actor
			},
			now
		);
		return issued;
	});
	return { expiresAt: new Date(link.expiresAt) };
}

interface LiveReset {
	linkExpiresAt: number;
	linkEmail: string;
	user: SessionUser;
}

/**
 * The link's account, if the link may still be used: live, its account active and unlocked, and
 * still at the address the link went to (an email change since makes it useless).
 */
async function liveReset(deps: ServiceDeps, token: string): Promise<LiveReset> {
	const link = await findLiveLink(deps.db, 'reset', token, deps.clock.now());
	if (!link) throw new ResetLinkInvalidError();
	const user = await deps.db
		.selectFrom('users')
		.select(['id', 'username', 'email', 'role', 'is_active', 'locked_at'])
		.where('id', '=', link.userId)
		.executeTakeFirst();
	if (!user || user.is_active !== 1 || user.email !== link.email) {
		throw new ResetLinkInvalidError();
	}
	if (user.locked_at !== null) throw new AccountLockedError();
	return {
		linkExpiresAt: link.expiresAt,
		linkEmail: link.email,
		user: { id: user.id, username: user.username, email: user.email, role: user.role }
	};
}

/**
 * The factors a reset may be confirmed with: every one the account may sign in with but the
 * emailed code, which goes to a mailbox (usually the very one the link went to); the emailed code
 * only when the account has nothing else, as its sign-in would.
 */
async function resetMethods(
	deps: ServiceDeps,
	user: SessionUser
): Promise<{ methods: SecondFactorMethod[]; maskedEmail: string | null }> {
	const step = await describeSecondStep(deps, user);
	const others = step.methods.filter((method) => method !== 'email');
	return others.length > 0
		? { methods: others, maskedEmail: null }
		: { methods: step.methods, maskedEmail: step.maskedEmail };
}

export interface ResetLinkInfo {
	/** The factors that may confirm it, preferred first. */
	methods: SecondFactorMethod[];
	/** Where the emailed code goes (masked), when that is the way. */
	email: string | null;
	expiresAt: Date;
}

/** What the reset page shows for a link: nothing is spent or counted. */
export async function describeResetLink(deps: ServiceDeps, token: string): Promise<ResetLinkInfo> {
	const reset = await liveReset(deps, token);
	const { methods, maskedEmail } = await resetMethods(deps, reset.user);
	return { methods, email: maskedEmail, expiresAt: new Date(reset.linkExpiresAt) };
}

/** Refuses a factor the reset may not use, before any try is counted. */
async function assertResetMethod(
	deps: ServiceDeps,
	user: SessionUser,
	method: SecondFactorMethod
): Promise<void> {
	const { methods } = await resetMethods(deps, user);
	if (!methods.includes(method)) throw new ResetFactorRequiredError(methods);
}

/** The reset's step, bound to the link (auth/reset-step.ts), opened when something is sent to it. */
async function openStep(
	deps: ServiceDeps,
	origin: SignInOrigin,
	token: string,
	reset: LiveReset
): Promise<string> {
	const step = resetStepToken(token);
	await openResetStep(
		deps.db,
		{
			token: step,
			userId: reset.user.id,
			expiresAt: reset.linkExpiresAt,
			ip: origin.ip,
			userAgent: origin.userAgent
		},
		deps.clock.now()
	);
	return step;
}

/** Emails a code for a reset of an account whose one factor is email (cooldown and caps as at sign-in). */
export async function sendResetCode(
	deps: ServiceDeps,
	origin: SignInOrigin,
	token: string
): Promise<Resent> {
	const reset = await liveReset(deps, token);
	await assertResetMethod(deps, reset.user, 'email');
	const step = await openStep(deps, origin, token, reset);
	return sendCode(deps, origin, reset.user, step);
}

/** A security key's challenge for a reset, bound to the link's step. */
export async function resetSecurityKeyOptions(
	deps: ServiceDeps,
	origin: SignInOrigin,
	rp: RelyingParty,
	token: string
): Promise<PublicKeyCredentialRequestOptionsJSON> {
	const reset = await liveReset(deps, token);
	await assertResetMethod(deps, reset.user, 'webauthn');
	const step = await openStep(deps, origin, token, reset);
	return securityKeyChallenge(deps, rp, reset.user, step, 'reset');
}

/** The second factor a reset is confirmed with: a code (with its method) or a key's answer. */
export type ResetFactor =
	| { code: SecondFactorInput }
	| { securityKey: { rp: RelyingParty; response: AuthenticationResponse } };

/**
 * Sets the new password: the factor is checked (a try of the account's budget, as at sign-in),
 * then in ONE transaction the link is spent (first: of two submissions of one link, the second
 * waits on it and finds it spent, and none of its factor is spent or counted), the factor is spent
 * and the password written, ending everything the old one opened. Then the owner is told.
 */
export async function completePasswordReset(
	deps: ServiceDeps,
	origin: SignInOrigin,
	token: string,
	password: string,
	factor: ResetFactor
): Promise<void> {
	const reset = await liveReset(deps, token);
	const { user } = reset;
	const codeMethod = 'code' in factor ? methodOf(factor.code) : null;
	await assertResetMethod(deps, user, codeMethod ?? 'webauthn');
	const passwordHash = await hashPassword(password);
	// The step counts the reset's tries with factors other than the emailed code, as a pending
	// session counts a sign-in's: it must exist before the first (an app's code sends nothing).
	const step = await openStep(deps, origin, token, reset);
	const factorCheck =
		'code' in factor
			? codeCheck(deps, user, step, { ...factor.code, method: codeMethod! }, undefined)
			: resetAssertionCheck(deps, factor.securityKey.rp, user, step, factor.securityKey.response);
	const linkFirst: FactorCheck = {
		method: factorCheck.method,
		check: async (now) => {
			const checked = await factorCheck.check(now);
			const consume = checked.consume;
			if (!consume) return checked;
			return {
				...checked,
				consume: async (trx, at) => {
					if (!(await spendLink(trx, 'reset', token, at))) throw new ResetLinkInvalidError();
					return consume(trx, at);
				}
			};
		}
	};
	// Its tries used up, the reset is over: the link goes with its step (a new one starts afresh).
	const tried: TriedIn = {
		sessionToken: step,
		onEnded: async (trx, now) => {
			await revokeLinks(trx, user.id, 'reset', now);
		}
	};
	const actor = { actorId: user.id, ip: origin.ip, userAgent: origin.userAgent };
	await completeWithFactor(deps, origin, user, tried, linkFirst, async (trx, now) => {
		// Read after the account row was locked: a deactivation or an email change either
		// committed before (the link is refused) or waits for this reset.
		const account = await trx
			.selectFrom('users')
			.select(['email', 'is_active'])
			.where('id', '=', user.id)
			.executeTakeFirst();
		if (!account || account.is_active !== 1 || account.email !== reset.linkEmail) {
			throw new ResetLinkInvalidError();
		}
		await queueResetNotice(trx, deps, origin, user.id, now);
		const reason = 'password reset';
		await replacePassword(
			{ ...deps, db: trx },
			actor,
			{ userId: user.id, passwordHash, keepSession: null, revokeApiTokens: true, reason },
			now
		);
		return now;
	});
}

/** "Your password was reset", to the account's address and its two-factor address if another. */
async function queueResetNotice(
	trx: Kysely<Database>,
	deps: ServiceDeps,
	origin: SignInOrigin,
	userId: string,
	at: number
): Promise<void> {
	const row = await trx
		.selectFrom('users')
		.select(['email', 'otp_email'])
		.where('id', '=', userId)
		.executeTakeFirst();
	const addresses = new Set([row?.email, row?.otp_email].filter((to): to is string => !!to));
	const message = passwordResetDoneMessage({ request: requestOf(origin, at) });
	for (const to of addresses) await queueNotice(trx, deps, to, message);
}
