// The second step's per-account budget. Every try (emailed code or backup token, from any
// pending session of the account) first reserves itself with ONE conditional UPDATE; only a
// reserved try may compare anything. So concurrent guesses stop exactly at the limits, and a
// resend or a new password login changes nothing here.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { affectedRows } from '../db/errors';
import { backoffMs, type AuthPolicy } from './policy';

export type Reservation =
	| { ok: true }
	| { ok: false; reason: 'locked' }
	| { ok: false; reason: 'throttled'; retryAfterMs: number };

type OtpPolicy = AuthPolicy['otp'];

export async function reserveTry(
	db: Kysely<Database>,
	userId: string,
	policy: OtpPolicy,
	now = Date.now()
): Promise<Reservation> {
	const result = await db
		.updateTable('users')
		.set((eb) => ({
			// The wait before the *next* try, from the count this try brings us to. It comes
			// first: MySQL evaluates SET left to right with already-updated values, SQLite
			// with the old ones; in this order both read the old otp_failures.
			otp_blocked_until: blockedUntilSql(policy, now),
			otp_failures: eb('otp_failures', '+', 1)
		}))
		.where('id', '=', userId)
		.where('locked_at', 'is', null)
		.where('otp_failures', '<', policy.lockAfterFailures)
		.where((eb) => eb.or([eb('otp_blocked_until', 'is', null), eb('otp_blocked_until', '<=', now)]))
		.executeTakeFirst();
	if (affectedRows(result) === 1) return { ok: true };

	// Refused: read why, for the message only (the UPDATE above already decided).
	const user = await db
		.selectFrom('users')
		.select(['locked_at', 'otp_failures', 'otp_blocked_until'])
		.where('id', '=', userId)
		.executeTakeFirst();
	if (!user || user.locked_at !== null || user.otp_failures >= policy.lockAfterFailures) {
		return { ok: false, reason: 'locked' };
	}
	// From the time of this read, not of the call's start: in a batch, the call that set the wait
	// may have started a moment after this one, and the wait would read as more than it is.
	const readAt = Math.max(now, Date.now());
	return {
		ok: false,
		reason: 'throttled',
		retryAfterMs: Math.max(1, Number(user.otp_blocked_until ?? readAt) - readAt)
	};
}

/** `CASE otp_failures + 1 WHEN n THEN now + backoff(n) ... END`: the backoff, in portable SQL. */
function blockedUntilSql(policy: OtpPolicy, now: number) {
	const steps: ReturnType<typeof sql>[] = [];
	for (let failures = policy.backoffAfterFailures; ; failures++) {
		const wait = backoffMs(failures, policy);
		if (wait >= policy.maxBackoffMs) break;
		steps.push(sql`when otp_failures + 1 = ${failures} then ${now + wait}`);
	}
	return sql<
		number | null
	>`case when otp_failures + 1 < ${policy.backoffAfterFailures} then null ${sql.join(steps, sql` `)} else ${now + policy.maxBackoffMs} end`;
}

/** A verified second step clears the budget. */
export async function clearFailures(db: Kysely<Database>, userId: string): Promise<void> {
	await db
		.updateTable('users')
		.set({ otp_failures: 0, otp_blocked_until: null })
		.where('id', '=', userId)
		.execute();
}

/** Locks the account once its failures reach the limit; true only for the call that locked it. */
export async function lockIfExhausted(
	db: Kysely<Database>,
	userId: string,
	policy: OtpPolicy,
	now = Date.now()
): Promise<boolean> {
	const result = await db
		.updateTable('users')
		.set({ locked_at: now })
		.where('id', '=', userId)
		.where('locked_at', 'is', null)
		.where('otp_failures', '>=', policy.lockAfterFailures)
		.executeTakeFirst();
	return affectedRows(result) === 1;
}
