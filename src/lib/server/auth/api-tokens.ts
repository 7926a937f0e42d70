// Personal API tokens: `<prefix>_<secret>`. The prefix is random and not secret (lists show it
// so people can tell their tokens apart); the secret carries 160 bits. Only the SHA-256 of the
// whole token is stored: for a random secret that size a plain hash is enough, and a leaked
// table holds nothing that authenticates.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ApiTokensTable, Database } from '../db/schema';
import { affectedRows, isUniqueViolation } from '../db/errors';
import { encodeBase32, newId } from '../ids';
import { sha256Hex } from './crypto';
import { scopesColumn, scopesOf } from './api-token-scopes';
import type { ApiTokenScope } from './types';

const PREFIX_BYTES = 5; // 40 bits -> 8 base32 characters
const SECRET_BYTES = 20; // 160 bits -> 32 base32 characters
export const TOKEN_PATTERN = /^[a-z2-7]{8}_[a-z2-7]{32}$/;

/** Last-use writes happen at most this often per token: most requests write nothing. */
export const API_TOKEN_TOUCH_INTERVAL_MS = 60_000;

/** Session tokens never contain `_`: a bearer value with one is meant as an API token. */
export function looksLikeApiToken(value: string): boolean {
	return value.includes('_');
}

export interface ApiTokenSummary {
	id: string;
	userId: string;
	name: string;
	/** The non-secret start of the token. */
	prefix: string;
	scopes: ApiTokenScope[];
	/** Null: never expires. */
	expiresAt: Date | null;
	createdAt: Date;
	lastUsedAt: Date | null;
	lastUsedIp: string | null;
}

/** The columns a list may show: never the hash. */
const SUMMARY_COLUMNS = [
	'id',
	'user_id',
	'name',
	'prefix',
	'scopes',
	'expires_at',
	'created_at',
	'last_used_at',
	'last_used_ip'
] as const;

type SummaryRow = Pick<ApiTokensTable, 'id' | 'user_id' | 'name' | 'prefix' | 'scopes'> & {
	expires_at: number | null;
	created_at: number;
	last_used_at: number | null;
	last_used_ip: string | null;
};

function toSummary(row: SummaryRow): ApiTokenSummary {
	return {
		id: row.id,
		userId: row.user_id,
		name: row.name,
		prefix: row.prefix,
		scopes: scopesOf(row.scopes),
		expiresAt: row.expires_at === null ? null : new Date(Number(row.expires_at)),
		createdAt: new Date(Number(row.created_at)),
		lastUsedAt: row.last_used_at === null ? null : new Date(Number(row.last_used_at)),
		lastUsedIp: row.last_used_ip
	};
}

export interface NewApiToken {
	/** `<prefix>_<secret>`: shown once, never stored. */
	token: string;
	summary: ApiTokenSummary;
}

/** Stores a new token's hash and prefix; returns the token itself once. */
export async function insertApiToken(
	db: Kysely<Database>,
	params: {
		userId: string;
		name: string;
		scopes: readonly ApiTokenScope[];
		expiresAt: number | null;
	},
	now = Date.now()
): Promise<NewApiToken> {
	// 40 random bits make a prefix collision rare, not impossible: the unique index decides.
	for (let attempt = 1; ; attempt++) {
		const prefix = encodeBase32(randomBytes(PREFIX_BYTES));
		const token = `${prefix}_${encodeBase32(randomBytes(SECRET_BYTES))}`;
		const row = {
			id: newId(),
			user_id: params.userId,
			name: params.name,
			prefix,
			token_hash: sha256Hex(token),
			scopes: scopesColumn(params.scopes),
			expires_at: params.expiresAt,
			created_at: now,
			last_used_at: null,
			last_used_ip: null
		};
		try {
			await db.insertInto('api_tokens').values(row).execute();
			return { token, summary: toSummary(row) };
		} catch (error) {
			if (!isUniqueViolation(error) || attempt >= 3) throw error;
		}
	}
}

/**
 * Every token of the user, newest first. Not paged, and never cut off: creating one past the
 * policy's `apiTokens.maxPerUser` (50) is refused, so the whole list is always that short.
 */
export async function listApiTokens(
	db: Kysely<Database>,
	userId: string
): Promise<ApiTokenSummary[]> {
	const rows = await db
		.selectFrom('api_tokens')
		.select(SUMMARY_COLUMNS)
		.where('user_id', '=', userId)
		.orderBy('created_at', 'desc')
		.orderBy('id')
		.execute();
	return rows.map(toSummary);
}

export async function findApiToken(
	db: Kysely<Database>,
	id: string
): Promise<ApiTokenSummary | null> {
	const row = await db
		.selectFrom('api_tokens')
		.select(SUMMARY_COLUMNS)
		.where('id', '=', id)
		.executeTakeFirst();
	return row ? toSummary(row) : null;
}

export async function countApiTokens(db: Kysely<Database>, userId: string): Promise<number> {
	const row = await db
		.selectFrom('api_tokens')
		.select((eb) => eb.fn.countAll<number>().as('count'))
		.where('user_id', '=', userId)
		.executeTakeFirstOrThrow();
	return Number(row.count);
}

/** Deletes one token (of `ownerId` when given): true when it existed. */
export async function deleteApiToken(
	db: Kysely<Database>,
	id: string,
	ownerId: string | null
): Promise<boolean> {
	let query = db.deleteFrom('api_tokens').where('id', '=', id);
	if (ownerId !== null) query = query.where('user_id', '=', ownerId);
	return affectedRows(await query.executeTakeFirst()) === 1;
}

/** Deletes every token of the user; returns how many there were. */
export async function deleteUserApiTokens(db: Kysely<Database>, userId: string): Promise<number> {
	const result = await db.deleteFrom('api_tokens').where('user_id', '=', userId).executeTakeFirst();
	return affectedRows(result);
}
