// The per-code cap, for factors that have no code of the session's own. An emailed code belongs to
// its session and dies after `maxAttemptsPerCode` tries (email-otp.ts). An authenticator app's
// code, a backup token and a security key are the account's: the session counts the tries made
// with them instead (sessions.factor_attempts), the same way. Each try reserves one with ONE
// conditional UPDATE before anything is compared, so concurrent tries stop exactly at the limit,
// and the wrong try that used the last one ends the session with ONE conditional DELETE, so
// exactly one of them ends it. Nothing refills the count (a resend, a new emailed code, another
// factor); a successful step-up clears it (session.ts markSessionVerified).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { affectedRows } from '../db/errors';
import type { AuthPolicy } from './policy';

type OtpPolicy = AuthPolicy['otp'];

/**
 * 'reserved': this try may count. 'used_up': the session has no try left. 'gone': there is no such
 * session any more (promoted, signed out, its reset done, ended by another try).
 */
export type SessionTry = 'reserved' | 'used_up' | 'gone';

/** Reserves one of the session's tries. */
export async function reserveSessionTry(
	db: Kysely<Database>,
	sessionHash: string,
	policy: OtpPolicy
): Promise<SessionTry> {
	const result = await db
		.updateTable('sessions')
		.set((eb) => ({ factor_attempts: eb('factor_attempts', '+', 1) }))
		.where('id', '=', sessionHash)
		.where('factor_attempts', '<', policy.maxAttemptsPerCode)
		.executeTakeFirst();
	if (affectedRows(result) === 1) return 'reserved';
	// Refused: read why, for what to say only (the UPDATE above already decided nothing counts).
	const row = await db
		.selectFrom('sessions')
		.select('id')
		.where('id', '=', sessionHash)
		.executeTakeFirst();
	return row ? 'used_up' : 'gone';
}

/** Ends the session once its tries are used up: true for the one caller that ended it. */
export async function endSpentSession(
	db: Kysely<Database>,
	sessionHash: string,
	policy: OtpPolicy
): Promise<boolean> {
	const result = await db
		.deleteFrom('sessions')
		.where('id', '=', sessionHash)
		.where('factor_attempts', '>=', policy.maxAttemptsPerCode)
		.executeTakeFirst();
	return affectedRows(result) === 1;
}
