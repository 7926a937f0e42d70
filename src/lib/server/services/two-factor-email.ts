// A separate address for codes is used only once a code sent to it has come back
// (django-otp's EmailDevice.confirmed). The pending address waits in otp_email_changes. Moving
// where codes go is a step-up change (the procedures check it); the address codes went to before
// is always told.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { affectedRows, isUniqueViolation } from '../db/errors';
import { decidingTransaction } from '../db/transaction';
import { releaseCodeMail, reserveCodeMail } from '../auth/code-mail-limits';
import { keyedHash, randomDigits, sameDigest } from '../auth/crypto';
import { forgetRememberedDevices } from '../auth/remembered-devices';
import type { AuthPolicy } from '../auth/policy';
import { addressChangedMessage, maskEmail, newAddressCodeMessage } from '../mail';
import { recordAudit } from '../db/audit-log';
import { CodeDeliveryError, NotFoundError, TooManyRequestsError, WrongCodeError } from '../errors';
import { describeMailError, queueNotice, requestOf } from './notices';
import type { Actor } from './actor';
import { lockUser } from './users';
import type { ServiceDeps } from './deps';

function hashChangeCode(userId: string, email: string, code: string): string {
	return keyedHash('otp-email-change', `${userId}:${email}:${code}`);
}

/**
 * Sends a code to the new address; it replaces an earlier pending change of this user once the
 * resend cooldown has passed. The mail counts against the account's hourly code cap and the
 * smaller cap for unconfirmed addresses.
 */
export async function requestOtpEmailChange(
	deps: ServiceDeps,
	actor: Actor,
	userId: string,
	email: string
): Promise<{ expiresAt: Date }> {
	const { db, policy } = deps;
	const now = deps.clock.now();
	const allowance = await reserveCodeMail(db, userId, policy.otp, { toNewAddress: true, now });
	if (!allowance.ok) throw TooManyRequestsError.after(allowance.retryAfterMs);

	const code = randomDigits(policy.otp.length);
	const expiresAt = now + policy.otp.ttlMs;
	const change = {
		email,
		code_hash: hashChangeCode(userId, email, code),
		attempts: 0,
		expires_at: expiresAt,
		created_at: now
	};
	let claimed: boolean;
	try {
		claimed = await decidingTransaction(db, async (trx) => {
			// Requests for one user queue on their row, so exactly one claims the cooldown below.
			await lockUser({ ...deps, db: trx }, userId);
			// The cooldown is this one conditional write: it replaces a pending change only once the
			// cooldown since it has passed; with none pending, the INSERT below claims it.
			const replaced = await trx
				.updateTable('otp_email_changes')
				.set(change)
				.where('user_id', '=', userId)
				.where('created_at', '<=', now - policy.otp.resendCooldownMs)
				.executeTakeFirst();
			if (affectedRows(replaced) === 0) {
				try {
					await trx
						.insertInto('otp_email_changes')
						.values({ user_id: userId, ...change })
						.execute();
				} catch (error) {
					if (isUniqueViolation(error)) return false; // one is pending, inside its cooldown
					throw error;
				}
			}
			await recordAudit(
				trx,
				{ event: 'two_factor.email_requested', subjectId: userId, details: email, ...actor },
				now
			);
			return true;
		});
	} catch (error) {
		await releaseCodeMail(db, allowance.hits);
		throw error;
	}
	if (!claimed) {
		await releaseCodeMail(db, allowance.hits);
		throw TooManyRequestsError.after(await cooldownLeft(db, userId, policy, now));
	}

	try {
		// Nothing in it comes from the caller: the address has not proven it wants our mail.
		await deps.mailer.send({
			to: email,
			...newAddressCodeMessage({ code, expiresAt: new Date(expiresAt), at: new Date(now) }),
			devNote: `code ${code}`
		});
	} catch (error) {
		deps.log.error(`[mail] two-factor address code not sent: ${describeMailError(error)}`);
		throw new CodeDeliveryError();
	}
	return { expiresAt: new Date(expiresAt) };
}

/** Milliseconds until the pending change may be replaced; read for the message only. */
async function cooldownLeft(
	db: Kysely<Database>,
	userId: string,
	policy: AuthPolicy,
	now: number
): Promise<number> {
	const pending = await db
		.selectFrom('otp_email_changes')
		.select('created_at')
		.where('user_id', '=', userId)
		.executeTakeFirst();
	const createdAt = pending ? Number(pending.created_at) : now;
	return createdAt + policy.otp.resendCooldownMs - now;
}

/** The owner enters the code that reached the new address; from then on codes go there. */
export async function confirmOtpEmailChange(
	deps: ServiceDeps,
	actor: Actor,
	code: string
): Promise<string> {
	const { db, policy } = deps;
	const userId = actor.actorId;
	const now = deps.clock.now();
	// Attempts are reserved before comparing, as for sign-in codes.
	const reserved = await db
		.updateTable('otp_email_changes')
		.set((eb) => ({ attempts: eb('attempts', '+', 1) }))
		.where('user_id', '=', userId)
		.where('attempts', '<', policy.otp.maxAttemptsPerCode)
		.where('expires_at', '>', now)
		.executeTakeFirst();
	if (affectedRows(reserved) !== 1) throw new WrongCodeError();
	const pending = await db
		.selectFrom('otp_email_changes')
		.select(['email', 'code_hash'])
		.where('user_id', '=', userId)
		.executeTakeFirstOrThrow();
	const candidate = hashChangeCode(userId, pending.email, code.trim());
	if (!sameDigest(pending.code_hash, candidate)) throw new WrongCodeError();
	await decidingTransaction(db, async (trx) => {
		const consumed = await trx
			.deleteFrom('otp_email_changes')
			.where('user_id', '=', userId)
			.where('code_hash', '=', candidate)
			.executeTakeFirst();
		if (affectedRows(consumed) !== 1) throw new WrongCodeError();
		const before = await trx
			.selectFrom('users')
			.select(['email', 'otp_email'])
			.where('id', '=', userId)
			.executeTakeFirstOrThrow();
		await trx
			.updateTable('users')
			.set({ otp_email: pending.email, otp_email_confirmed_at: now, updated_at: now })
			.where('id', '=', userId)
			.execute();
		await recordAudit(
			trx,
			{ event: 'two_factor.email_changed', subjectId: userId, details: pending.email, ...actor },
			now
		);
		const previous = before.otp_email ?? before.email;
		if (previous && previous !== pending.email) {
			const message = addressChangedMessage({
				what: 'two-factor',
				newAddress: maskEmail(pending.email),
				request: requestOf(actor, now)
			});
			await queueNotice(trx, deps, previous, message);
		}
	});
	return pending.email;
}

/**
 * Codes go to the account's email again and a pending change is dropped. With nothing to clear it
 * changes nothing and records nothing. Clearing the address resets the email factor (an admin's
 * way to take it back), so every remembered device of the user asks for the second step again.
 */
export async function clearOtpEmail(
	deps: ServiceDeps,
	actor: Actor,
	userId: string
): Promise<void> {
	const now = deps.clock.now();
	await decidingTransaction(deps.db, async (trx) => {
		const user = await trx
			.selectFrom('users')
			.select(['email', 'otp_email'])
			.where('id', '=', userId)
			.executeTakeFirst();
		if (!user) throw new NotFoundError('No such user');
		const dropped = affectedRows(
			await trx.deleteFrom('otp_email_changes').where('user_id', '=', userId).executeTakeFirst()
		);
		const cleared = affectedRows(
			await trx
				.updateTable('users')
				// The account email has to prove itself again with the next code.
				.set({ otp_email: null, otp_email_confirmed_at: null, updated_at: now })
				.where('id', '=', userId)
				.where('otp_email', 'is not', null)
				.executeTakeFirst()
		);
		if (dropped + cleared === 0) return;
		if (cleared > 0) {
			const reason = 'two-factor address cleared';
			await forgetRememberedDevices(trx, userId, now, { ...actor, reason });
		}
		const details = cleared > 0 ? 'address cleared' : 'pending change dropped';
		await recordAudit(
			trx,
			{ event: 'two_factor.email_cleared', subjectId: userId, details, ...actor },
			now
		);
		if (cleared > 0 && user.otp_email) {
			const message = addressChangedMessage({
				what: 'two-factor',
				newAddress: user.email ? maskEmail(user.email) : 'no address (backup tokens only)',
				request: requestOf(actor, now)
			});
			await queueNotice(trx, deps, user.otp_email, message);
		}
	});
}
