// Authenticator apps as people manage them: set one up (a pending secret, shown once as a QR code
// and as text, that counts only after a first good code), see whether one is set up, remove it.
// One authenticator per account: a new one replaces the old only when it is confirmed, so a setup
// abandoned halfway never locks anyone out. Every change needs step-up (the procedures' tier),
// is audited in its transaction and told to the owner by email afterwards.
import { getConfig } from '../config';
import { decidingTransaction } from '../db/transaction';
import { recordAudit } from '../db/audit-log';
import { forgetRememberedDevices } from '../auth/remembered-devices';
import {
	confirmPendingFactor,
	deleteAllFactors,
	deleteOtherFactors,
	findConfirmedFactor,
	findPendingFactor,
	insertPendingFactor,
	matchStep,
	newTotpSecret,
	openFor,
	totpUri
} from '../auth/totp';
import { authenticatorChangedMessage } from '../mail';
import { NotFoundError, TotpEnrolmentGoneError, WrongCodeError } from '../errors';
import type { Actor } from './actor';
import type { ServiceDeps } from './deps';
import { afterFactorAdded, policyBeforeEnrolment } from './factor-policy';
import { queueNoticeToUser, requestOf } from './notices';
import { lockUser } from './users';

export interface TotpStatus {
	/** A confirmed authenticator exists. */
	enabled: boolean;
	confirmedAt: Date | null;
	/**
	 * False when its secret cannot be read (AUTH_SECRET was rotated): its codes are refused and
	 * sign-in falls back to the other factors until it is set up again.
	 */
	usable: boolean;
}

/** A setup waiting for its first code: what the person copies into their app. */
export interface TotpEnrolment {
	enrolmentId: string;
	/** Base32, for typing into the app. */
	secret: string;
	/** `otpauth://totp/...`, what the QR code holds. */
	uri: string;
	expiresAt: Date;
}

export async function totpStatus(deps: ServiceDeps, userId: string): Promise<TotpStatus> {
	const factor = await findConfirmedFactor(deps.db, userId);
	return {
		enabled: Boolean(factor),
		confirmedAt: factor ? new Date(factor.confirmedAt) : null,
		usable: Boolean(factor && openFor(userId, factor.secretBox) !== null)
	};
}

/**
 * Starts a setup with a new secret. An earlier unconfirmed setup dies here (its secret can no
 * longer be confirmed); a confirmed authenticator keeps working until the new one is confirmed.
 */
export async function beginTotpEnrolment(
	deps: ServiceDeps,
	userId: string
): Promise<TotpEnrolment> {
	const now = deps.clock.now();
	const secret = newTotpSecret();
	const { id, username } = await decidingTransaction(deps.db, async (trx) => {
		// The owner's row first: a concurrent setup or confirmation queues behind this one.
		await lockUser({ ...deps, db: trx }, userId);
		const user = await trx
			.selectFrom('users')
			.select('username')
			.where('id', '=', userId)
			.executeTakeFirstOrThrow();
		return { id: await insertPendingFactor(trx, userId, secret, now), username: user.username };
	});
	return enrolmentOf(deps, id, secret, username, now);
}

/** The setup in progress (to show it again after a wrong code), or null. */
export async function pendingTotpEnrolment(
	deps: ServiceDeps,
	userId: string
): Promise<TotpEnrolment | null> {
	const now = deps.clock.now();
	const pending = await findPendingFactor(
		deps.db,
		userId,
		null,
		now - deps.policy.totp.enrolmentTtlMs
	);
	const secret = pending ? openFor(userId, pending.secretBox) : null;
	if (!pending || secret === null) return null;
	const user = await deps.db
		.selectFrom('users')
		.select('username')
		.where('id', '=', userId)
		.executeTakeFirst();
	if (!user) throw new NotFoundError('No such user');
	return enrolmentOf(deps, pending.id, secret, user.username, pending.createdAt);
}

function enrolmentOf(
	deps: ServiceDeps,
	id: string,
	secret: string,
	username: string,
	createdAt: number
): TotpEnrolment {
	return {
		enrolmentId: id,
		secret,
		uri: totpUri(secret, getConfig().appName, username),
		expiresAt: new Date(createdAt + deps.policy.totp.enrolmentTtlMs)
	};
}

/**
 * Completes the setup `enrolmentId` with a first good code from the app (its step is spent), and
 * replaces the account's previous authenticator if it had one. A setup that a newer one replaced,
 * or that waited too long, is refused whatever the code.
 */
export async function confirmTotpEnrolment(
	deps: ServiceDeps,
	actor: Actor,
	userId: string,
	enrolmentId: string,
	code: string
): Promise<{ replaced: boolean }> {
	const { db } = deps;
	const now = deps.clock.now();
	const notBefore = now - deps.policy.totp.enrolmentTtlMs;
	const pending = await findPendingFactor(db, userId, enrolmentId, notBefore);
	const secret = pending ? openFor(userId, pending.secretBox) : null;
	if (!pending || secret === null) throw new TotpEnrolmentGoneError();
	// A wrong code here costs nothing from the sign-in budget: the person already proved
	// themself (step-up) and holds the secret, so there is nothing to guess.
	const step = matchStep(secret, code, now);
	if (step === null) throw new WrongCodeError();

	const replaced = await decidingTransaction(db, async (trx) => {
		await lockUser({ ...deps, db: trx }, userId);
		const policy = await policyBeforeEnrolment(deps, trx, userId);
		// Exactly one confirmation wins; a setup replaced since the read above loses here.
		if (!(await confirmPendingFactor(trx, userId, pending.id, step, now))) {
			throw new TotpEnrolmentGoneError();
		}
		const replaced = (await deleteOtherFactors(trx, userId, pending.id)) > 0;
		// The factor just set up is the one to offer first at the next sign-in.
		await trx
			.updateTable('users')
			.set({ preferred_factor: 'totp' })
			.where('id', '=', userId)
			.execute();
		await recordAudit(
			trx,
			{ event: 'totp.added', subjectId: userId, details: replaced ? 'replaced' : null, ...actor },
			now
		);
		if (replaced) {
			await forgetRememberedDevices(trx, userId, now, {
				...actor,
				reason: 'authenticator app replaced'
			});
		}
		// FACTOR_POLICY: a required kind set up frees the person's sessions marked to set one up.
		await afterFactorAdded(trx, policy, 'totp', actor, userId, now);
		const message = authenticatorChangedMessage({
			change: replaced ? 'replaced' : 'added',
			request: requestOf(actor, now)
		});
		await queueNoticeToUser(trx, deps, userId, message);
		return replaced;
	});
	return { replaced };
}

/**
 * Removes the account's authenticator (and any setup in progress, quietly). A user without one
 * gets no audit row and no mail. True when one was removed.
 */
export async function removeTotp(
	deps: ServiceDeps,
	actor: Actor,
	userId: string
): Promise<boolean> {
	const now = deps.clock.now();
	const removed = await decidingTransaction(deps.db, async (trx) => {
		// The owner's row first: a sign-in spending a step of this factor holds it (clearFailures),
		// so the removal waits for it, and one that starts later finds no factor.
		await lockUser({ ...deps, db: trx }, userId);
		if ((await deleteAllFactors(trx, userId)) === 0) return false;
		await trx
			.updateTable('users')
			.set({ preferred_factor: null })
			.where('id', '=', userId)
			.where('preferred_factor', '=', 'totp')
			.execute();
		await recordAudit(trx, { event: 'totp.removed', subjectId: userId, ...actor }, now);
		// A browser remembered while the factor existed skips a second step that has changed.
		await forgetRememberedDevices(trx, userId, now, {
			...actor,
			reason: 'authenticator app removed'
		});
		const message = authenticatorChangedMessage({
			change: 'removed',
			request: requestOf(actor, now)
		});
		await queueNoticeToUser(trx, deps, userId, message);
		return true;
	});
	return removed;
}
