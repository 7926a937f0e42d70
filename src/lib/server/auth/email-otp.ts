// The emailed code: one live code per pending session (the table's primary key), stored only as
// an HMAC bound to that session, attempts reserved before any comparison.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { affectedRows } from '../db/errors';
import { keyedHash, randomDigits, sameDigest } from './crypto';
import type { AuthPolicy } from './policy';

type OtpPolicy = AuthPolicy['otp'];

function hashCode(sessionHash: string, code: string): string {
	return keyedHash('email-otp', `${sessionHash}:${code}`);
}

export interface IssuedCode {
	code: string;
	expiresAt: number;
}

/** The first code of a new pending session. */
export async function createCode(
	db: Kysely<Database>,
	sessionHash: string,
	userId: string,
	policy: OtpPolicy,
	now = Date.now()
): Promise<IssuedCode> {
	const code = randomDigits(policy.length);
	const expiresAt = now + policy.ttlMs;
	await db
		.insertInto('email_otps')
		.values({
			session_id: sessionHash,
			user_id: userId,
			code_hash: hashCode(sessionHash, code),
			attempts: 0,
			expires_at: expiresAt,
			created_at: now
		})
		.execute();
	return { code, expiresAt };
}

/**
 * Replaces the session's code, but only once the cooldown since the last one has passed; the
 * old code is dead the moment this UPDATE commits. Null when the cooldown still runs.
 */
export async function replaceCode(
	db: Kysely<Database>,
	sessionHash: string,
	policy: OtpPolicy,
	now = Date.now()
): Promise<IssuedCode | null> {
	const code = randomDigits(policy.length);
	const expiresAt = now + policy.ttlMs;
	const result = await db
		.updateTable('email_otps')
		.set({
			code_hash: hashCode(sessionHash, code),
			attempts: 0,
			expires_at: expiresAt,
			created_at: now
		})
		.where('session_id', '=', sessionHash)
		.where('created_at', '<=', now - policy.resendCooldownMs)
		.executeTakeFirst();
	return affectedRows(result) === 1 ? { code, expiresAt } : null;
}

/** When the session may ask for another code (null when it has none). */
export async function resendAvailableAt(
	db: Kysely<Database>,
	sessionHash: string,
	policy: OtpPolicy
): Promise<number | null> {
	const row = await db
		.selectFrom('email_otps')
		.select(['created_at', 'expires_at'])
		.where('session_id', '=', sessionHash)
		.executeTakeFirst();
	return row ? Number(row.created_at) + policy.resendCooldownMs : null;
}

export type CodeCheck = { status: 'match'; codeHash: string } | { status: 'wrong' | 'dead' };

/**
 * Spends one of the code's attempts (conditional UPDATE), then compares in constant time.
 * 'dead': no live code (none, expired, or its attempts are used up).
 */
export async function checkCode(
	db: Kysely<Database>,
	sessionHash: string,
	code: string,
	policy: OtpPolicy,
	now = Date.now()
): Promise<CodeCheck> {
	const reserved = await db
		.updateTable('email_otps')
		.set((eb) => ({ attempts: eb('attempts', '+', 1) }))
		.where('session_id', '=', sessionHash)
		.where('attempts', '<', policy.maxAttemptsPerCode)
		.where('expires_at', '>', now)
		.executeTakeFirst();
	if (affectedRows(reserved) !== 1) return { status: 'dead' };
	const row = await db
		.selectFrom('email_otps')
		.select('code_hash')
		.where('session_id', '=', sessionHash)
		.executeTakeFirst();
	const candidate = hashCode(sessionHash, code);
	if (!row || !sameDigest(row.code_hash, candidate)) return { status: 'wrong' };
	return { status: 'match', codeHash: candidate };
}

/** Consumes a matched code: exactly one caller can delete it, whatever runs concurrently. */
export async function consumeCode(
	db: Kysely<Database>,
	sessionHash: string,
	codeHash: string
): Promise<boolean> {
	const result = await db
		.deleteFrom('email_otps')
		.where('session_id', '=', sessionHash)
		.where('code_hash', '=', codeHash)
		.executeTakeFirst();
	return affectedRows(result) === 1;
}
