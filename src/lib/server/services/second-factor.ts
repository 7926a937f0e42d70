// The second factor, for sign-in and for step-up: an emailed code, a code from an authenticator
// app (TOTP), a backup token or a security key (services/security-key-sign-in.ts checks those),
// spent once.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { decidingTransaction } from '../db/transaction';
import { clearFailures, lockIfExhausted, reserveTry } from '../auth/account-throttle';
import { sha256Hex } from '../auth/crypto';
import { endSpentSession, reserveSessionTry } from '../auth/session-tries';
import { checkCode, consumeCode } from '../auth/email-otp';
import { claimStep, findUsableFactor, matchStep } from '../auth/totp';
import {
	createSession,
	deletePendingSession,
	markSessionVerified,
	sessionCreatedAt,
	type NewSession
} from '../auth/session';
import { rememberDevice, type IssuedDevice } from '../auth/remembered-devices';
import { countBackupTokens, normalizeBackupToken, redeemBackupToken } from '../auth/backup-tokens';
import type { SessionUser } from '../auth/types';
import { accountLockedMessage, backupTokenUsedMessage } from '../mail';
import { recordAudit } from '../db/audit-log';
import { queueNoticeToUser, requestOf } from './notices';
import { noticeDeviceRemembered } from './remembered-devices';
import {
	AccountLockedError,
	SecondStepEndedError,
	TooManyRequestsError,
	WrongCodeError,
	type SecondStepPurpose
} from '../errors';
import type { ServiceDeps } from './deps';
import type { FactorKind } from '../config';
import { assertMethodAllowed, factorRequirement, type SecondFactorMethod } from './factor-policy';

import type { SignInOrigin } from './sign-in-codes';

/** The methods a code can be given for: everything but those that sign a challenge (WebAuthn). */
export type CodeMethod = Extract<SecondFactorMethod, 'email' | 'totp' | 'backup_token'>;

/**
 * A code and, optionally, what it is. Without `method`, digits are an emailed code and anything
 * else a backup token (as before authenticator apps): an authenticator's code must say `totp`.
 */
export interface SecondFactorInput {
	code: string;
	method?: CodeMethod;
}

export interface Verified {
	session: NewSession;
	user: SessionUser;
	/** Set when the browser asked to be remembered (and remembering is on): for its cookie. */
	device: IssuedDevice | null;
	/**
	 * FACTOR_POLICY: the kinds the new session must set up one of before anything else (it is
	 * marked so); empty when it is free.
	 */
	enrolmentRequired: FactorKind[];
}

export interface SecondFactorOptions {
	/** "Don't ask again on this device": remember this browser, in the promotion's transaction. */
	rememberDevice?: boolean;
}

/**
 * A second factor checked against what is stored, before the deciding transaction. `consume`
 * spends it there with one conditional write: false (or a WrongCodeError saying why) when
 * someone else spent it first. A wrong factor has no `consume`; `refusal` says why, when there is
 * more to say than "wrong or expired code".
 */
export interface CheckedFactor {
	consume: ((trx: Kysely<Database>, now: number) => Promise<boolean>) | null;
	refusal?: WrongCodeError;
}

/**
 * A factor to try: what it is (known before anything is compared, so the session's try can be
 * reserved for it first) and `check`, which compares it at `now` once its tries were reserved.
 */
export interface FactorCheck {
	method: SecondFactorMethod;
	check: (now: number) => Promise<CheckedFactor>;
}

/**
 * Where a factor is tried: the pending session, the verified session stepping up, or a password
 * reset's step (auth/reset-step.ts). Its tries with factors that outlive it are counted there
 * (auth/session-tries.ts); `onEnded` runs in the transaction that ends it once they are used up.
 */
export interface TriedIn {
	sessionToken: string;
	onEnded?: (trx: Kysely<Database>, now: number) => Promise<void>;
}

/**
 * Step two with a code: emailed, from the authenticator app, or a backup token. On success the
 * pending session is deleted and a new verified one created, in one transaction with spending the
 * code (and, when asked, remembering the device).
 */
export async function verifySecondFactor(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	sessionToken: string,
	input: SecondFactorInput,
	options: SecondFactorOptions = {}
): Promise<Verified> {
	await assertMethodAllowed(deps, user, methodOf(input));
	const factor = codeCheck(deps, user, sessionToken, input, undefined);
	return completeSignIn(deps, origin, user, sessionToken, factor, options);
}

/**
 * Promotes a pending session with a second factor that `check` verifies (a code, a backup token,
 * a security key): the factor is spent, the pending session deleted and a verified one created,
 * in one transaction; with `rememberDevice`, the browser is remembered in the same one.
 */
export async function completeSignIn(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	sessionToken: string,
	factor: FactorCheck,
	options: SecondFactorOptions = {}
): Promise<Verified> {
	const remember = options.rememberDevice === true && deps.policy.rememberDeviceMs > 0;
	const { session, device, enrolmentRequired } = await spendSecondFactor(
		deps,
		origin,
		user,
		'sign-in',
		{ sessionToken },
		factor,
		async (trx, now) => {
			// Someone else may have promoted this session in the meantime: exactly one wins.
			if (!(await deletePendingSession(trx, sessionToken))) return null;
			const { session: lifetimes } = deps.policy;
			// Read here, after the account row was locked: an enrolment (which locks it too) either
			// committed before, or waits and then lifts the mark of this session as well.
			const requirement = await factorRequirement(deps, trx, user);
			const enrolmentRequired = requirement.enrolmentRequired ? requirement.required : [];
			const session = await createSession(
				trx,
				lifetimes,
				{
					userId: user.id,
					state: 'verified',
					ip: origin.ip,
					userAgent: origin.userAgent,
					promotedFrom: sessionToken,
					enrolmentRequired: enrolmentRequired.length > 0
				},
				now
			);
			// A browser is not remembered by a sign-in that the policy does not count as enough.
			if (!remember || enrolmentRequired.length > 0) {
				return { session, device: null, enrolmentRequired };
			}
			const device = await rememberDevice(
				trx,
				{ userId: user.id, ip: origin.ip, userAgent: origin.userAgent },
				deps.policy.rememberDeviceMs,
				now
			);
			await recordAudit(
				trx,
				{
					event: 'device.remembered',
					actorId: user.id,
					subjectId: user.id,
					details: device.publicId,
					ip: origin.ip,
					userAgent: origin.userAgent
				},
				now
			);
			await noticeDeviceRemembered(trx, deps, origin, user.id, device, now);
			return { session, device, enrolmentRequired };
		}
	);
	return { session, user, device, enrolmentRequired };
}

/**
 * Step-up with a code (emailed, from the authenticator app, or a backup token) in an already
 * verified session, for sensitive changes. Emailed codes for it are sent with `sendCode` and
 * bound to this session.
 */
export async function verifyStepUp(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	session: { token: string; verifiedAt: Date | null },
	input: SecondFactorInput
): Promise<Date> {
	// A backup token minted after this session last proved itself may not refresh it: otherwise a
	// stolen session whose step-up has run out could mint tokens (or be handed some) and use them.
	// A session a remembered device opened has proven no code yet: it counts from its creation.
	await assertMethodAllowed(deps, user, methodOf(input));
	const provenAt =
		session.verifiedAt?.getTime() ?? (await sessionCreatedAt(deps.db, session.token));
	const factor = codeCheck(deps, user, session.token, input, provenAt ?? 0);
	return completeStepUp(deps, origin, user, session.token, factor);
}

/**
 * Refreshes a verified session's step-up with a second factor that `factor` verifies. Its wrong
 * tries are counted on the session like a sign-in's: the one that uses up the last signs it out.
 */
export async function completeStepUp(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	sessionToken: string,
	factor: FactorCheck
): Promise<Date> {
	return spendSecondFactor(
		deps,
		origin,
		user,
		'step-up',
		{ sessionToken },
		factor,
		async (trx, now) => {
			// A session that ended meanwhile (signed out, its tries used up) refreshes nothing.
			if (!(await markSessionVerified(trx, sessionToken, now))) return null;
			return new Date(now);
		}
	);
}

/**
 * Sets a new password through a reset link once a second factor that `factor` verifies is spent:
 * the same budget, checks, per-session tries (counted on the reset's step, `step`) and single-use
 * writes as sign-in and step-up; `onSuccess` (spending the link, writing the password) runs in the
 * factor's transaction. Audited as `password.reset`.
 */
export async function completeWithFactor<T>(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	step: TriedIn,
	factor: FactorCheck,
	onSuccess: (trx: Kysely<Database>, now: number) => Promise<T | null>
): Promise<T> {
	return spendSecondFactor(deps, origin, user, 'reset', step, factor, onSuccess);
}

/**
 * A code as its method expects it: the write that spends it when it matched, none when it did
 * not. Only the emailed code is bound to the session (it was sent to it; for a reset, the reset's
 * own step, auth/reset-step.ts). `tokensMintedBy` (step-up): only backup tokens minted by then
 * count.
 */
export function codeCheck(
	deps: ServiceDeps,
	user: SessionUser,
	sessionToken: string,
	input: SecondFactorInput,
	tokensMintedBy: number | undefined
): FactorCheck {
	const { code } = input;
	const method = methodOf(input);
	const check = async (now: number): Promise<CheckedFactor> => {
		switch (method) {
			case 'backup_token': {
				const token = normalizeBackupToken(code);
				if (!token) return { consume: null };
				return { consume: (trx) => redeemBackupToken(trx, user.id, token, tokensMintedBy) };
			}
			case 'email': {
				if (!/^\d+$/.test(code)) return { consume: null };
				const sessionHash = sha256Hex(sessionToken);
				const found = await checkCode(deps.db, sessionHash, code, deps.policy.otp, now);
				if (found.status !== 'match') return { consume: null };
				return { consume: (trx) => consumeCode(trx, sessionHash, found.codeHash) };
			}
			case 'totp': {
				const factor = await findUsableFactor(deps.db, user.id);
				const step = factor ? matchStep(factor.secret, code, now) : null;
				if (!factor || step === null) return { consume: null };
				// The step, not the code, is what is spent: a step accepted once never counts again.
				return { consume: (trx) => claimStep(trx, user.id, factor.id, step) };
			}
		}
	};
	return { method, check };
}

/** What a code is for: as said, else digits are an emailed code and the rest a backup token. */
export function methodOf(input: SecondFactorInput): CodeMethod {
	return input.method ?? (/^\d+$/.test(input.code) ? 'email' : 'backup_token');
}

/** Audit `details` of a success with each method (email codes need none). */
const METHOD_DETAILS: Record<SecondFactorMethod, string | null> = {
	email: null,
	backup_token: 'backup token',
	totp: 'totp',
	webauthn: 'webauthn'
};

/** What a second factor is spent for: each has its own audit events. */
type FactorPurpose = SecondStepPurpose;

/**
 * The factors whose tries the session counts (auth/session-tries.ts): all but the emailed code,
 * which is the session's own and counts its tries itself (email-otp.ts), a new code starting
 * afresh. An authenticator's code, a backup token and a security key outlive the session: without
 * this, nothing but the account's budget would bound the tries one sign-in makes with them.
 */
const COUNTED_BY_SESSION: ReadonlySet<SecondFactorMethod> = new Set([
	'totp',
	'backup_token',
	'webauthn'
]);

/** The audit `details` of a session that ended with its tries used up. */
const ENDED_DETAILS: Record<FactorPurpose, string> = {
	'sign-in': 'sign-in ended: too many wrong tries',
	'step-up': 'signed out: too many wrong step-up tries',
	reset: 'reset link revoked: too many wrong tries'
};

/** The audit events of a success and of a failure, per purpose. */
function auditEventsOf(purpose: FactorPurpose, method: SecondFactorMethod) {
	switch (purpose) {
		case 'step-up':
			return { success: 'step_up.verified', failure: 'step_up.failed' } as const;
		case 'reset':
			return { success: 'password.reset', failure: 'password.reset_failed' } as const;
		case 'sign-in':
			return {
				success: method === 'backup_token' ? 'backup_token.used' : 'otp.verified',
				failure: 'otp.failed'
			} as const;
	}
}

/**
 * The second factor's core, shared by sign-in, step-up and password resets: reserve a try from the
 * account's budget (the same budget whatever the method) and, for a factor that outlives the
 * session, one of the session's tries; check; then spend the factor and run `onSuccess` in ONE
 * transaction. `onSuccess` returns null when it lost a race; the whole transaction then rolls
 * back, giving the code (or time step, or challenge) back. A wrong try that used the session's
 * last one ends the session (`tried`).
 */
async function spendSecondFactor<T>(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	purpose: FactorPurpose,
	tried: TriedIn,
	factor: FactorCheck,
	onSuccess: (trx: Kysely<Database>, now: number) => Promise<T | null>
): Promise<T> {
	const { db, policy } = deps;
	const now = deps.clock.now();
	const reservation = await reserveTry(db, user.id, policy.otp, now);
	if (!reservation.ok) {
		if (reservation.reason === 'locked') throw new AccountLockedError();
		throw TooManyRequestsError.after(reservation.retryAfterMs);
	}

	const { method } = factor;
	const sessionHash = sha256Hex(tried.sessionToken);
	const sessionTry = COUNTED_BY_SESSION.has(method)
		? await reserveSessionTry(db, sessionHash, policy.otp)
		: null;
	if (sessionTry === 'used_up') {
		// None left: the try that took the last one was refused (and ended the session) or is still
		// running (and may be right: this one must not end the session under it). The account's
		// try was spent, so it counts as a failure there.
		await recordFailure(deps, origin, user, purpose, failureDetails(method), now);
		throw new SecondStepEndedError(purpose);
	}
	// 'gone': the session ended a moment ago; the transaction's own conditional writes (promoting
	// the pending session, refreshing the step-up, spending the reset link) refuse this try.

	const { consume, refusal } = await factor.check(now);
	const result = consume
		? await decidingTransaction(db, async (trx) => {
				// The account row first: it is what concurrent tries (reserveTry), a password
				// change and a factor's removal lock, so they queue behind this transaction.
				// Locked later, after the session INSERT's foreign key check took a shared lock on
				// it, the upgrade would deadlock against a waiting try on MySQL. A rollback undoes
				// the clearing.
				await clearFailures(trx, user.id);
				// The consuming write must hit exactly one row, or someone else won the race (or
				// the authenticator's step was accepted before).
				if (!(await consume(trx, now))) throw new WrongCodeError();
				const outcome = await onSuccess(trx, now);
				if (outcome === null) throw new WrongCodeError();
				if (method === 'email') await markAddressProven(trx, user.id, now);
				if (purpose === 'sign-in' && method !== 'backup_token') {
					await preferFactor(trx, user.id, method);
				}
				await recordAudit(
					trx,
					{
						// Step-ups and resets are recorded apart, so sign-in figures count sign-ins only.
						// A reset names its factor whatever it was (the emailed code too).
						event: auditEventsOf(purpose, method).success,
						details: purpose === 'reset' ? `factor=${method}` : METHOD_DETAILS[method],
						actorId: user.id,
						subjectId: user.id,
						ip: origin.ip,
						userAgent: origin.userAgent
					},
					now
				);
				if (method === 'backup_token') {
					// Counted in the transaction that spent one: what is left after this sign-in.
					const remaining = await countBackupTokens(trx, user.id);
					const message = backupTokenUsedMessage({ request: requestOf(origin, now), remaining });
					await queueNoticeToUser(trx, deps, user.id, message);
				}
				return { outcome };
			}).catch((error: unknown) => {
				// The refusal the consuming write gave (a security key's says why), or the plain one.
				if (error instanceof WrongCodeError) return { refused: error };
				throw error;
			})
		: { refused: refusal ?? new WrongCodeError() };

	if ('refused' in result) {
		await recordFailure(deps, origin, user, purpose, failureDetails(method), now);
		if (
			sessionTry === 'reserved' &&
			(await endSpentTries(deps, origin, user, purpose, tried, now))
		) {
			throw new SecondStepEndedError(purpose);
		}
		throw result.refused;
	}
	return result.outcome;
}

/**
 * Failures name the authenticator and the security key only: an emailed code and a backup token
 * were told apart by their shape before there were other methods, and old rows say nothing either.
 */
function failureDetails(method: SecondFactorMethod): string | null {
	return method === 'totp' || method === 'webauthn' ? METHOD_DETAILS[method] : null;
}

/**
 * Ends the session where `tried` was made once its tries are used up (a sign-in starts again
 * with the password, a step-up's session is signed out, a reset's link is revoked), audited as
 * `session.revoked`. The conditional DELETE decides: true for the one wrong try that ended it.
 */
async function endSpentTries(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	purpose: FactorPurpose,
	tried: TriedIn,
	now: number
): Promise<boolean> {
	return decidingTransaction(deps.db, async (trx) => {
		if (!(await endSpentSession(trx, sha256Hex(tried.sessionToken), deps.policy.otp))) {
			return false;
		}
		await tried.onEnded?.(trx, now);
		await recordAudit(
			trx,
			{
				event: 'session.revoked',
				subjectId: user.id,
				details: ENDED_DETAILS[purpose],
				ip: origin.ip,
				userAgent: origin.userAgent
			},
			now
		);
		return true;
	});
}

/** The factor that finished a sign-in is offered first next time. */
async function preferFactor(
	db: Kysely<Database>,
	userId: string,
	method: SecondFactorMethod
): Promise<void> {
	await db
		.updateTable('users')
		.set({ preferred_factor: method })
		.where('id', '=', userId)
		.where((eb) =>
			eb.or([eb('preferred_factor', 'is', null), eb('preferred_factor', '!=', method)])
		)
		.execute();
}

async function recordFailure(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	purpose: FactorPurpose,
	details: string | null,
	now: number
): Promise<void> {
	const entry = { subjectId: user.id, ip: origin.ip, userAgent: origin.userAgent };
	const event = auditEventsOf(purpose, 'email').failure;
	await recordAudit(deps.db, { event, details, ...entry }, now);
	await decidingTransaction(deps.db, async (trx) => {
		if (!(await lockIfExhausted(trx, user.id, deps.policy.otp, now))) return;
		await recordAudit(trx, { event: 'account.locked', ...entry }, now);
		const message = accountLockedMessage({ request: requestOf(origin, now) });
		await queueNoticeToUser(trx, deps, user.id, message);
	});
}

/** A code that came back proves the address it was sent to (django-otp's `confirmed`). */
async function markAddressProven(db: Kysely<Database>, userId: string, now: number): Promise<void> {
	await db
		.updateTable('users')
		.set({ otp_email_confirmed_at: now })
		.where('id', '=', userId)
		.where('otp_email_confirmed_at', 'is', null)
		.execute();
}
