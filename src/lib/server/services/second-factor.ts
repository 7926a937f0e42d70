// The second factor, for sign-in and for step-up: an emailed code, a backup token or a security key
// (services/security-key-sign-in.ts checks those), spent once.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { clearFailures, lockIfExhausted, reserveTry } from '../auth/account-throttle';
import { sha256Hex } from '../auth/crypto';
import { checkCode, consumeCode } from '../auth/email-otp';
import {
	createSession,
	deletePendingSession,
	markSessionVerified,
	type NewSession
} from '../auth/session';
import { countBackupTokens, normalizeBackupToken, redeemBackupToken } from '../auth/backup-tokens';
import type { SessionUser } from '../auth/types';
import { accountLockedMessage, backupTokenUsedMessage } from '../mail';
import { recordAudit } from '../db/audit-log';
import { noticeToUser, requestOf } from './notices';
import { AccountLockedError, TooManyRequestsError, WrongCodeError } from '../errors';
import type { ServiceDeps } from './deps';

import type { SignInOrigin } from './sign-in-codes';

export interface Verified {
	session: NewSession;
	user: SessionUser;
}

/** How a second factor was given: named in audit rows and deciding which notices follow. */
export type FactorMethod = 'email' | 'backup_token' | 'webauthn';

/**
 * A second factor checked against what is stored, before the deciding transaction. `consume`
 * spends it there with one conditional write: false (or a WrongCodeError saying why) when
 * someone else spent it first. A wrong factor has no `consume`; `refusal` says why, when there is
 * more to say than "wrong or expired code".
 */
export interface CheckedFactor {
	method: FactorMethod;
	consume: ((trx: Kysely<Database>, now: number) => Promise<boolean>) | null;
	refusal?: WrongCodeError;
}

/** Checks a factor at `now`, once a try was reserved from the account's budget. */
export type FactorCheck = (now: number) => Promise<CheckedFactor>;

/**
 * Step two: an emailed code or a backup token. On success the pending session is deleted and a
 * new verified one created, in one transaction with consuming the code or token.
 */
export async function verifySecondFactor(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	sessionToken: string,
	input: string
): Promise<Verified> {
	const check = codeOrBackupToken(deps, user, sessionToken, input, undefined);
	return completeSignIn(deps, origin, user, sessionToken, check);
}

/**
 * Promotes a pending session with a second factor that `check` verifies (a code, a backup token,
 * a security key): the factor is spent, the pending session deleted and a verified one created,
 * in one transaction.
 */
export async function completeSignIn(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	sessionToken: string,
	check: FactorCheck
): Promise<Verified> {
	const session = await spendSecondFactor(
		deps,
		origin,
		user,
		'sign-in',
		check,
		async (trx, now) => {
			// Someone else may have promoted this session in the meantime: exactly one wins.
			if (!(await deletePendingSession(trx, sessionToken))) return null;
			const { session: lifetimes } = deps.policy;
			return createSession(
				trx,
				lifetimes,
				{
					userId: user.id,
					state: 'verified',
					ip: origin.ip,
					userAgent: origin.userAgent,
					promotedFrom: sessionToken
				},
				now
			);
		}
	);
	return { session, user };
}

/**
 * Step-up: a fresh code (or backup token) in an already verified session, for sensitive
 * changes. Codes for it are sent with `sendStepUpCode` and bound to this session.
 */
export async function verifyStepUp(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	session: { token: string; verifiedAt: Date | null },
	input: string
): Promise<Date> {
	// A backup token minted after this session last proved itself may not refresh it: otherwise a
	// stolen session whose step-up has run out could mint tokens (or be handed some) and use them.
	const mintedBy = session.verifiedAt?.getTime() ?? 0;
	const check = codeOrBackupToken(deps, user, session.token, input, mintedBy);
	return completeStepUp(deps, origin, user, session.token, check);
}

/** Refreshes a verified session's step-up with a second factor that `check` verifies. */
export async function completeStepUp(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	sessionToken: string,
	check: FactorCheck
): Promise<Date> {
	return spendSecondFactor(deps, origin, user, 'step-up', check, async (trx, now) => {
		await markSessionVerified(trx, sessionToken, now);
		return new Date(now);
	});
}

/**
 * An emailed code (digits) or a backup token. `tokensMintedBy` (step-up): only backup tokens
 * minted by then count.
 */
function codeOrBackupToken(
	deps: ServiceDeps,
	user: SessionUser,
	sessionToken: string,
	input: string,
	tokensMintedBy: number | undefined
): FactorCheck {
	return async (now) => {
		const backupToken = /^\d+$/.test(input) ? null : normalizeBackupToken(input);
		if (backupToken) {
			return {
				method: 'backup_token',
				consume: (trx) => redeemBackupToken(trx, user.id, backupToken, tokensMintedBy)
			};
		}
		if (!/^\d+$/.test(input)) return { method: 'email', consume: null };
		const sessionHash = sha256Hex(sessionToken);
		const check = await checkCode(deps.db, sessionHash, input, deps.policy.otp, now);
		return {
			method: 'email',
			consume:
				check.status === 'match' ? (trx) => consumeCode(trx, sessionHash, check.codeHash) : null
		};
	};
}

/** Audit `details` of a success or failure with each method (email codes need none). */
const METHOD_DETAILS: Record<FactorMethod, string | null> = {
	email: null,
	backup_token: 'backup token',
	webauthn: 'webauthn'
};

/**
 * The second factor's core, shared by sign-in and step-up: reserve a try from the account's
 * budget, check, then consume the factor and run `onSuccess` in ONE transaction.
 * `onSuccess` returns null when it lost a race; the whole transaction then rolls back.
 */
async function spendSecondFactor<T>(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	purpose: 'sign-in' | 'step-up',
	check: FactorCheck,
	onSuccess: (trx: Kysely<Database>, now: number) => Promise<T | null>
): Promise<T> {
	const { db, policy } = deps;
	const now = deps.clock.now();
	const reservation = await reserveTry(db, user.id, policy.otp, now);
	if (!reservation.ok) {
		if (reservation.reason === 'locked') throw new AccountLockedError();
		throw TooManyRequestsError.after(reservation.retryAfterMs);
	}

	const factor = await check(now);
	const { consume, method } = factor;
	const result = consume
		? await db
				.transaction()
				.execute(async (trx) => {
					// The account row first: it is what concurrent tries (reserveTry) and a password
					// change lock, so they queue behind this transaction. Locked later, after the
					// session INSERT's foreign key check took a shared lock on it, the upgrade would
					// deadlock against a waiting try on MySQL. A rollback undoes the clearing.
					await clearFailures(trx, user.id);
					// The consuming write must hit exactly one row, or someone else won the race.
					if (!(await consume(trx, now))) throw new WrongCodeError();
					const outcome = await onSuccess(trx, now);
					if (outcome === null) throw new WrongCodeError();
					if (method === 'email') await markAddressProven(trx, user.id, now);
					await recordAudit(
						trx,
						{
							// Step-ups are recorded apart, so sign-in figures count sign-ins only.
							event:
								purpose === 'step-up'
									? 'step_up.verified'
									: method === 'backup_token'
										? 'backup_token.used'
										: 'otp.verified',
							details: METHOD_DETAILS[method],
							actorId: user.id,
							subjectId: user.id,
							ip: origin.ip,
							userAgent: origin.userAgent
						},
						now
					);
					return { outcome };
				})
				.catch((error: unknown) => {
					// The refusal the consuming write gave (a security key's says why), or the plain one.
					if (error instanceof WrongCodeError) return { refused: error };
					throw error;
				})
		: { refused: factor.refusal ?? new WrongCodeError() };

	if ('refused' in result) {
		// A mistyped code and a mistyped token look alike, so only a security key names itself.
		const details = method === 'webauthn' ? METHOD_DETAILS.webauthn : null;
		await recordFailure(deps, origin, user, purpose, details, now);
		throw result.refused;
	}
	if (method === 'backup_token') {
		const remaining = await countBackupTokens(db, user.id);
		const message = backupTokenUsedMessage({ request: requestOf(origin, now), remaining });
		await noticeToUser(deps, user.id, message);
	}
	return result.outcome;
}

async function recordFailure(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	purpose: 'sign-in' | 'step-up',
	details: string | null,
	now: number
): Promise<void> {
	const entry = { subjectId: user.id, ip: origin.ip, userAgent: origin.userAgent };
	const event = purpose === 'step-up' ? 'step_up.failed' : 'otp.failed';
	await recordAudit(deps.db, { event, details, ...entry }, now);
	const locked = await deps.db.transaction().execute(async (trx) => {
		if (!(await lockIfExhausted(trx, user.id, deps.policy.otp, now))) return false;
		await recordAudit(trx, { event: 'account.locked', ...entry }, now);
		return true;
	});
	if (locked) {
		await noticeToUser(deps, user.id, accountLockedMessage({ request: requestOf(origin, now) }));
	}
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
