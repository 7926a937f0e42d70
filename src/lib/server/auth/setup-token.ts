// First run: while no user exists, a one-time link (/setup?token=...) creates the first admin.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { affectedRows } from '../db/errors';
import { sha256Hex } from './crypto';

export async function issueSetupToken(
	db: Kysely<Database>,
	ttlMs: number,
	now = Date.now()
): Promise<string> {
	const token = randomBytes(32).toString('base64url');
	await db
		.insertInto('setup_tokens')
		.values({ token_hash: sha256Hex(token), expires_at: now + ttlMs })
		.execute();
	return token;
}

export async function isLiveSetupToken(
	db: Kysely<Database>,
	token: string,
	now = Date.now()
): Promise<boolean> {
	const row = await db
		.selectFrom('setup_tokens')
		.select('expires_at')
		.where('token_hash', '=', sha256Hex(token))
		.where('expires_at', '>', now)
		.executeTakeFirst();
	return row !== undefined;
}

/**
 * Spends the token and every other one (one conditional DELETE decides), so two setup pages open
 * at once can never both create an admin. Run inside the transaction that creates the admin.
 */
export async function spendSetupToken(
	trx: Kysely<Database>,
	token: string,
	now = Date.now()
): Promise<boolean> {
	const spent = await trx
		.deleteFrom('setup_tokens')
		.where('token_hash', '=', sha256Hex(token))
		.where('expires_at', '>', now)
		.executeTakeFirst();
	if (affectedRows(spent) !== 1) return false;
	await trx.deleteFrom('setup_tokens').execute();
	return true;
}
