// Single-use links mailed to a person (an invitation, a password reset, the proof of a new email
// address). The token is 256 random bits that exist only in the mail; the table holds a keyed hash
// made for the link's purpose, so a hash (or a token) for one purpose never opens another. A link
// is spent by one conditional UPDATE whose affected-row count decides: two tabs opening the same
// link at once can never both use it.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AccountLinkPurpose, Database, Millis } from '../db/schema';
import { affectedRows } from '../db/errors';
import { newId } from '../ids';
import { keyedHash } from './crypto';

export interface IssuedLink {
	id: string;
	/** Goes into the mailed URL only; never stored, logged or shown again. */
	token: string;
	expiresAt: Millis;
}

export interface LiveLink {
	id: string;
	userId: string;
	email: string;
	createdBy: string | null;
	createdAt: Millis;
	expiresAt: Millis;
}

/** Tokens are 43 base64url characters; anything else is refused before it reaches a query. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function isLinkTokenShape(token: string): boolean {
	return TOKEN_PATTERN.test(token);
}

function linkHash(purpose: AccountLinkPurpose, token: string): string {
	return keyedHash(`account-link:${purpose}`, token);
}

/**
 * A new link for `userId`. Earlier live links of the same purpose are revoked in the same
 * statement batch, so only the newest link works (run inside the caller's transaction), unless
 * `keepEarlier`: for a link that only takes access away (the "this wasn't me" link of an email
 * change), where a newer one must not disarm the one the owner already holds.
 */
export async function issueLink(
	trx: Kysely<Database>,
	link: {
		purpose: AccountLinkPurpose;
		userId: string;
		email: string;
		createdBy: string | null;
		ttlMs: number;
		keepEarlier?: boolean;
	},
	now = Date.now()
): Promise<IssuedLink> {
	if (!link.keepEarlier) await revokeLinks(trx, link.userId, link.purpose, now);
	const token = randomBytes(32).toString('base64url');
	const id = newId();
	const expiresAt = now + link.ttlMs;
	await trx
		.insertInto('account_links')
		.values({
			id,
			purpose: link.purpose,
			user_id: link.userId,
			email: link.email,
			token_hash: linkHash(link.purpose, token),
			created_by: link.createdBy,
			created_at: now,
			expires_at: expiresAt,
			used_at: null
		})
		.execute();
	return { id, token, expiresAt };
}

/** The link's row if it is live (not spent, revoked or expired): for showing the page only. */
export async function findLiveLink(
	db: Kysely<Database>,
	purpose: AccountLinkPurpose,
	token: string,
	now = Date.now()
): Promise<LiveLink | null> {
	if (!isLinkTokenShape(token)) return null;
	const row = await db
		.selectFrom('account_links')
		.select(['id', 'user_id', 'email', 'created_by', 'created_at', 'expires_at'])
		.where('token_hash', '=', linkHash(purpose, token))
		.where('purpose', '=', purpose)
		.where('used_at', 'is', null)
		.where('expires_at', '>', now)
		.executeTakeFirst();
	if (!row) return null;
	return {
		id: row.id,
		userId: row.user_id,
		email: row.email,
		createdBy: row.created_by,
		createdAt: Number(row.created_at),
		expiresAt: Number(row.expires_at)
	};
}

/**
 * Spends a live link: one conditional UPDATE decides, so of two requests with the same token
 * exactly one gets the row back. Run inside the transaction that makes the change the link allows,
 * so a change that fails leaves the link live.
 */
export async function spendLink(
	trx: Kysely<Database>,
	purpose: AccountLinkPurpose,
	token: string,
	now = Date.now()
): Promise<LiveLink | null> {
	const link = await findLiveLink(trx, purpose, token, now);
	if (!link) return null;
	const spent = await trx
		.updateTable('account_links')
		.set({ used_at: now })
		.where('id', '=', link.id)
		.where('used_at', 'is', null)
		.where('expires_at', '>', now)
		.executeTakeFirst();
	return affectedRows(spent) === 1 ? link : null;
}

/** Ends every live link of this purpose for the person (a newer one, a revocation, a reset). */
export async function revokeLinks(
	trx: Kysely<Database>,
	userId: string,
	purpose: AccountLinkPurpose,
	now = Date.now()
): Promise<number> {
	const revoked = await trx
		.updateTable('account_links')
		.set({ used_at: now })
		.where('user_id', '=', userId)
		.where('purpose', '=', purpose)
		.where('used_at', 'is', null)
		.where('expires_at', '>', now)
		.executeTakeFirst();
	return affectedRows(revoked);
}
