// WebAuthn challenges: random, stored only as SHA-256 hashes, bound to the session they were
// issued to and to a purpose, short-lived, and spent by ONE conditional DELETE whose affected-row
// count decides. One live challenge per session and purpose: asking again replaces it.
//
// Hashed, though a challenge is no secret (the browser sees it): the stored form is fixed-width
// lowercase hex, so matching never depends on MySQL's case-insensitive collation (base64url is
// case-sensitive), and a database reader learns nothing it could hand to an authenticator.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, WebauthnChallengesTable } from '../db/schema';
import { affectedRows } from '../db/errors';
import { sha256Hex } from './crypto';
import { decidingTransaction } from '../db/transaction';

export type ChallengePurpose = WebauthnChallengesTable['purpose'];

/** 32 random bytes, base64url: what the authenticator signs. */
export function newChallenge(): string {
	return randomBytes(32).toString('base64url');
}

/** Stores `challenge` for the session (`sessionHash`, the sessions.id) and purpose, replacing any. */
export async function storeChallenge(
	db: Kysely<Database>,
	sessionHash: string,
	userId: string,
	purpose: ChallengePurpose,
	challenge: string,
	ttlMs: number,
	now: number
): Promise<void> {
	await decidingTransaction(db, async (trx) => {
		await dropChallenge(trx, sessionHash, purpose);
		await trx
			.insertInto('webauthn_challenges')
			.values({
				session_id: sessionHash,
				purpose,
				user_id: userId,
				challenge_hash: sha256Hex(challenge),
				expires_at: now + ttlMs,
				created_at: now
			})
			.execute();
	});
}

/** Whether `challenge` is this session's live one for `purpose` (a read: nothing is spent). */
export async function isLiveChallenge(
	db: Kysely<Database>,
	sessionHash: string,
	purpose: ChallengePurpose,
	challenge: string,
	now: number
): Promise<boolean> {
	const row = await db
		.selectFrom('webauthn_challenges')
		.select('session_id')
		.where('session_id', '=', sessionHash)
		.where('purpose', '=', purpose)
		.where('challenge_hash', '=', sha256Hex(challenge))
		.where('expires_at', '>', now)
		.executeTakeFirst();
	return row !== undefined;
}

/** Spends the challenge: true for exactly one caller, while it is live. */
export async function consumeChallenge(
	db: Kysely<Database>,
	sessionHash: string,
	purpose: ChallengePurpose,
	challenge: string,
	now: number
): Promise<boolean> {
	const result = await db
		.deleteFrom('webauthn_challenges')
		.where('session_id', '=', sessionHash)
		.where('purpose', '=', purpose)
		.where('challenge_hash', '=', sha256Hex(challenge))
		.where('expires_at', '>', now)
		.executeTakeFirst();
	return affectedRows(result) === 1;
}

/** Ends the session's challenge for `purpose`, whatever it was (one answer per challenge). */
export async function dropChallenge(
	db: Kysely<Database>,
	sessionHash: string,
	purpose: ChallengePurpose
): Promise<void> {
	await db
		.deleteFrom('webauthn_challenges')
		.where('session_id', '=', sessionHash)
		.where('purpose', '=', purpose)
		.execute();
}
