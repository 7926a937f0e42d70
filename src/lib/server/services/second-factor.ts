// The second factor, for sign-in and for step-up: an emailed code or a backup token, spent once.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { clearFailures, lockIfExhausted, reserveTry } from '../auth/account-throttle';
import { sha256Hex } from '../auth/crypto';
import { checkCode, consumeCode } from '../auth/email-otp';
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
import { noticeToUser, requestOf } from './notices';
import { noticeDeviceRemembered } from './remembered-devices';
import { AccountLockedError, TooManyRequestsError, WrongCodeError } from '../errors';
import type { ServiceDeps } from './deps';

import type { SignInOrigin } from './sign-in-codes';

export interface Verified {
	session: NewSession;
	user: SessionUser;
	/** Set when the browser asked to be remembered (and remembering is on): for its cookie. */
	device: IssuedDevice | null;
}

export interface SecondFactorOptions {
	/** "Don't ask again on this device": remember this browser, in the promotion's transaction. */
	rememberDevice?: boolean;
}

/**
 * Step two: an emailed code or a backup token. On success the pending session is deleted and a
 * new verified one created, in one transaction with consuming the code or token (and, when asked,
 * remembering the device).
 */
export async function verifySecondFactor(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	sessionToken: string,
	input: string,
	options: SecondFactorOptions = {}
): Promise<Verified> {
	const remember = options.rememberDevice === true && deps.policy.rememberDeviceMs > 0;
	const { session, device, at } = await spendSecondFactor(
		deps,
		origin,
		user,
		sessionToken,
		input,
		{ kind: 'sign-in' },
		async (trx, now) => {
			// Someone else may have promoted this session in the meantime: exactly one wins.
			if (!(await deletePendingSession(trx, sessionToken))) return null;
			const { session: lifetimes } = deps.policy;
			const session = await createSession(
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
			if (!remember) return { session, device: null, at: now };
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
			return { session, device, at: now };
		}
	);
	if (device) await noticeDeviceRemembered(deps, origin, user.id, device, at);
	return { session, user, device };
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
	// A session a remembered device opened has proven no code yet: it counts from its creation.
	const provenAt =
		session.verifiedAt?.getTime() ?? (await sessionCreatedAt(deps.db, session.token));
	const purpose = { kind: 'step-up', tokensMintedBy: provenAt ?? 0 } as const;
	return spendSecondFactor(deps, origin, user, session.token, input, purpose, async (trx, now) => {
		await markSessionVerified(trx, session.token, now);
		return new Date(now);
	});
}

/** What a second factor is spent on; step-up also limits which backup tokens count. */
type Purpose = { kind: 'sign-in' } | { kind: 'step-up'; tokensMintedBy: number };

/**
 * The second factor's core, shared by sign-in and step-up: reserve a try from the account's
 * budget, compare, then consume the code or token and run `onSuccess` in ONE transaction.
 * `onSuccess` returns null when it lost a race; the whole transaction then rolls back.
 */
async function spendSecondFactor<T>(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	sessionToken: string,
	input: string,
	purpose: Purpose,
	onSuccess: (trx: Kysely<Database>, now: number) => Promise<T | null>
): Promise<T> {
	const { db, policy } = deps;
	const now = deps.clock.now();
	const reservation = await reserveTry(db, user.id, policy.otp, now);
	if (!reservation.ok) {
		if (reservation.reason === 'locked') throw new AccountLockedError();
		throw TooManyRequestsError.after(reservation.retryAfterMs);
	}

	const sessionHash = sha256Hex(sessionToken);
	const backupToken = /^\d+$/.test(input) ? null : normalizeBackupToken(input);
	let consume: ((trx: Kysely<Database>) => Promise<boolean>) | null = null;
	if (backupToken) {
		const mintedBy = purpose.kind === 'step-up' ? purpose.tokensMintedBy : undefined;
		consume = (trx) => redeemBackupToken(trx, user.id, backupToken, mintedBy);
	} else if (/^\d+$/.test(input)) {
		const check = await checkCode(db, sessionHash, input, policy.otp, now);
		if (check.status === 'match') consume = (trx) => consumeCode(trx, sessionHash, check.codeHash);
	}

	const result = consume
		? await db
				.transaction()
				.execute(async (trx) => {
					// The account row first: it is what concurrent tries (reserveTry) and a password
					// change lock, so they queue behind this transaction. Locked later, after the
					// session INSERT's foreign key check took a shared lock on it, the upgrade would
					// deadlock against a waiting try on MySQL. A rollback undoes the clearing.
					await clearFailures(trx, user.id);
					// The consuming DELETE must hit exactly one row, or someone else won the race.
					if (!(await consume(trx))) throw new WrongCodeError();
					const outcome = await onSuccess(trx, now);
					if (outcome === null) throw new WrongCodeError();
					if (!backupToken) await markAddressProven(trx, user.id, now);
					await recordAudit(
						trx,
						{
							// Step-ups are recorded apart, so sign-in figures count sign-ins only.
							event:
								purpose.kind === 'step-up'
									? 'step_up.verified'
									: backupToken
										? 'backup_token.used'
										: 'otp.verified',
							details: backupToken ? 'backup token' : null,
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
					if (error instanceof WrongCodeError) return null;
					throw error;
				})
		: null;

	if (!result) {
		await recordFailure(deps, origin, user, purpose.kind, now);
		throw new WrongCodeError();
	}
	if (backupToken) {
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
	now: number
): Promise<void> {
	const entry = { subjectId: user.id, ip: origin.ip, userAgent: origin.userAgent };
	const event = purpose === 'step-up' ? 'step_up.failed' : 'otp.failed';
	await recordAudit(deps.db, { event, ...entry }, now);
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
