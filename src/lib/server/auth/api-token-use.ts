// Using a personal API token: the per-request check (one indexed query joined to the active user)
// and the record of its use, throttled to one write a minute. The token format and the rows a
// person manages are in api-tokens.ts.
import type { Kysely } from 'kysely';
import { affectedRows } from '../db/errors';
import { recordAudit } from '../db/audit-log';
import type { Database } from '../db/schema';
import { scopesOf } from './api-token-scopes';
import { API_TOKEN_TOUCH_INTERVAL_MS, TOKEN_PATTERN } from './api-tokens';
import { sha256Hex } from './crypto';
import type { ApiTokenScope, SessionUser } from './types';
import { decidingTransaction } from '../db/transaction';

export interface ValidApiToken {
	user: SessionUser;
	token: {
		id: string;
		prefix: string;
		scopes: ApiTokenScope[];
		expiresAt: Date | null;
		lastUsedAt: Date | null;
	};
}

/**
 * The token's user and scopes, or null. One indexed query, joined to the user, which must be
 * active; an expired token is refused here (the row stays until it is revoked).
 */
export async function validateApiToken(
	db: Kysely<Database>,
	token: string,
	now = Date.now()
): Promise<ValidApiToken | null> {
	if (!TOKEN_PATTERN.test(token)) return null;
	const row = await db
		.selectFrom('api_tokens')
		.innerJoin('users', 'users.id', 'api_tokens.user_id')
		.select([
			'api_tokens.id',
			'api_tokens.prefix',
			'api_tokens.scopes',
			'api_tokens.expires_at',
			'api_tokens.last_used_at',
			'users.id as user_id',
			'users.username',
			'users.email',
			'users.role'
		])
		.where('api_tokens.token_hash', '=', sha256Hex(token))
		.where('users.is_active', '=', 1)
		.where((eb) =>
			eb.or([eb('api_tokens.expires_at', 'is', null), eb('api_tokens.expires_at', '>', now)])
		)
		.executeTakeFirst();
	if (!row) return null;
	return {
		user: { id: row.user_id, username: row.username, email: row.email, role: row.role },
		token: {
			id: row.id,
			prefix: row.prefix,
			scopes: scopesOf(row.scopes),
			expiresAt: row.expires_at === null ? null : new Date(Number(row.expires_at)),
			lastUsedAt: row.last_used_at === null ? null : new Date(Number(row.last_used_at))
		}
	};
}

export type TokenUse = 'first' | 'recorded' | 'throttled';

/**
 * Records when and from where a token was used, at most once a minute. Conditional UPDATEs
 * decide, so concurrent requests (on any number of app instances) write once: the one that
 * fills an empty `last_used_at` is the first use and is audited, exactly once.
 */
export async function recordApiTokenUse(
	db: Kysely<Database>,
	valid: ValidApiToken,
	client: { ip: string; userAgent: string | null },
	now = Date.now()
): Promise<TokenUse> {
	const { token, user } = valid;
	const lastUsedAt = token.lastUsedAt?.getTime() ?? null;
	if (lastUsedAt !== null && now - lastUsedAt < API_TOKEN_TOUCH_INTERVAL_MS) return 'throttled';
	const ip = client.ip.slice(0, 45);
	if (lastUsedAt === null) {
		const first = await decidingTransaction(db, async (trx) => {
			const result = await trx
				.updateTable('api_tokens')
				.set({ last_used_at: now, last_used_ip: ip })
				.where('id', '=', token.id)
				.where('last_used_at', 'is', null)
				.executeTakeFirst();
			if (affectedRows(result) !== 1) return false;
			await recordAudit(
				trx,
				{
					event: 'api_token.first_used',
					actorId: user.id,
					subjectId: user.id,
					ip: client.ip,
					userAgent: client.userAgent,
					details: `token=${token.prefix}`
				},
				now
			);
			return true;
		});
		if (first) return 'first';
	}
	// Never fills an empty `last_used_at` (NULL < x is not true): only the audited update does.
	const result = await db
		.updateTable('api_tokens')
		.set({ last_used_at: now, last_used_ip: ip })
		.where('id', '=', token.id)
		.where('last_used_at', '<', now - API_TOKEN_TOUCH_INTERVAL_MS)
		.executeTakeFirst();
	return affectedRows(result) === 1 ? 'recorded' : 'throttled';
}
