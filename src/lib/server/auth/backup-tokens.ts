// Single-use backup tokens (django-otp's StaticDevice), stored as keyed hashes, consumed by a
// conditional DELETE whose affected-row count decides.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { affectedRows } from '../db/errors';
import { encodeBase32, newId } from '../ids';
import { keyedHash } from './crypto';

const TOKEN_BYTES = 10; // 80 bits -> 16 base32 characters

// The typed form's rule is the input schema's, so a token the schema lets through is one this
// file can look up.
export { normalizeBackupToken } from '../../schemas/auth';

function hashToken(normalized: string): string {
	// The label predates the name "backup token": stored hashes depend on it, so it stays.
	return keyedHash('static-token', normalized);
}

/** Creates `count` tokens; returns them once, grouped for typing. Only hashes are stored. */
export async function insertBackupTokens(
	db: Kysely<Database>,
	userId: string,
	count: number,
	now = Date.now()
): Promise<string[]> {
	const tokens = Array.from({ length: count }, () => encodeBase32(randomBytes(TOKEN_BYTES)));
	await db
		.insertInto('backup_tokens')
		.values(
			tokens.map((token) => ({
				id: newId(),
				user_id: userId,
				token_hash: hashToken(token),
				created_at: now
			}))
		)
		.execute();
	return tokens.map((token) => token.match(/.{4}/g)!.join('-'));
}

/**
 * Deletes the token if it is the user's (and, with `mintedBy`, was minted by then): true for
 * exactly one caller.
 */
export async function redeemBackupToken(
	db: Kysely<Database>,
	userId: string,
	normalized: string,
	mintedBy?: number
): Promise<boolean> {
	let query = db
		.deleteFrom('backup_tokens')
		.where('user_id', '=', userId)
		.where('token_hash', '=', hashToken(normalized));
	if (mintedBy !== undefined) query = query.where('created_at', '<=', mintedBy);
	return affectedRows(await query.executeTakeFirst()) === 1;
}

export async function countBackupTokens(db: Kysely<Database>, userId: string): Promise<number> {
	const row = await db
		.selectFrom('backup_tokens')
		.select((eb) => eb.fn.countAll<number>().as('count'))
		.where('user_id', '=', userId)
		.executeTakeFirstOrThrow();
	return Number(row.count);
}
