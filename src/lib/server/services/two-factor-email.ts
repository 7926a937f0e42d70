// A separate address for codes is used only once a code sent to it has come back
// (django-otp's EmailDevice.confirmed). The pending address waits in otp_email_changes.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { affectedRows } from '../db/errors';
import { keyedHash, randomDigits, sameDigest } from '../auth/crypto';
import type { AuthPolicy } from '../auth/policy';
import { otpMessage, type Mailer } from '../mail';
import { recordAudit } from './audit';
import { CodeDeliveryError, NotFoundError, TooManyRequestsError, WrongCodeError } from './errors';
import type { Actor } from './user-admin';
import { requireUser } from './users';

function hashChangeCode(userId: string, email: string, code: string): string {
	return keyedHash('otp-email-change', `${userId}:${email}:${code}`);
}

/** Sends a code to the new address; it replaces any earlier pending change of this user. */
export async function requestOtpEmailChange(
	deps: { db: Kysely<Database>; mailer: Mailer; policy: AuthPolicy },
	actor: Actor,
	userId: string,
	email: string
): Promise<{ expiresAt: Date }> {
	const { db, policy } = deps;
	const now = Date.now();
	const code = randomDigits(policy.otp.length);
	const expiresAt = now + policy.otp.ttlMs;
	const pending = await db
		.selectFrom('otp_email_changes')
		.select('created_at')
		.where('user_id', '=', userId)
		.executeTakeFirst();
	if (pending && Number(pending.created_at) > now - policy.otp.resendCooldownMs) {
		const wait = Number(pending.created_at) + policy.otp.resendCooldownMs - now;
		throw new TooManyRequestsError(Math.max(1, Math.ceil(wait / 1000)));
	}
	await db.transaction().execute(async (trx) => {
		await requireUser(trx, userId);
		await trx.deleteFrom('otp_email_changes').where('user_id', '=', userId).execute();
		await trx
			.insertInto('otp_email_changes')
			.values({
				user_id: userId,
				email,
				code_hash: hashChangeCode(userId, email, code),
				attempts: 0,
				expires_at: expiresAt,
				created_at: now
			})
			.execute();
		await recordAudit(
			trx,
			{ event: 'two_factor.email_requested', subjectId: userId, details: email, ...actor },
			now
		);
	});
	const request = { at: new Date(now), ip: actor.ip ?? null, userAgent: actor.userAgent ?? null };
	try {
		await deps.mailer.send({
			to: email,
			...otpMessage({ code, expiresAt: new Date(expiresAt), request }),
			devNote: `code ${code}`
		});
	} catch {
		throw new CodeDeliveryError();
	}
	return { expiresAt: new Date(expiresAt) };
}

/** The owner enters the code that reached the new address; from then on codes go there. */
export async function confirmOtpEmailChange(
	db: Kysely<Database>,
	policy: AuthPolicy,
	actor: Actor,
	code: string
): Promise<string> {
	const userId = actor.actorId;
	const now = Date.now();
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
	await db.transaction().execute(async (trx) => {
		const consumed = await trx
			.deleteFrom('otp_email_changes')
			.where('user_id', '=', userId)
			.where('code_hash', '=', candidate)
			.executeTakeFirst();
		if (affectedRows(consumed) !== 1) throw new WrongCodeError();
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
	});
	return pending.email;
}

/** Codes go to the account's email again; a pending change is dropped. */
export async function clearOtpEmail(
	db: Kysely<Database>,
	actor: Actor,
	userId: string
): Promise<void> {
	const now = Date.now();
	await db.transaction().execute(async (trx) => {
		await trx.deleteFrom('otp_email_changes').where('user_id', '=', userId).execute();
		const result = await trx
			.updateTable('users')
			// The account email has to prove itself again with the next code.
			.set({ otp_email: null, otp_email_confirmed_at: null, updated_at: now })
			.where('id', '=', userId)
			.executeTakeFirst();
		if (affectedRows(result) === 0) throw new NotFoundError('No such user');
		await recordAudit(trx, { event: 'two_factor.email_cleared', subjectId: userId, ...actor }, now);
	});
}
