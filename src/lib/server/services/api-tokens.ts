// Personal API tokens as people manage them: create (the token is shown once), list, revoke.
// Each change and its audit row share a transaction. A token's scopes name permissions its owner's
// role holds when it is made (or the shorthands `read` and `write`); every call checks them again
// against the role as it is then (trpc/scopes.ts).
import { roleCan } from '../../permissions';
import {
	countApiTokens,
	deleteApiToken,
	deleteUserApiTokens,
	findApiToken,
	insertApiToken,
	listApiTokens as listTokenRows,
	type ApiTokenSummary,
	type NewApiToken
} from '../auth/api-tokens';
import { normalizeScopes, SHORTHAND_SCOPES } from '../auth/api-token-scopes';
import { release } from '../auth/rate-limit';
import type { ApiTokenScope } from '../auth/types';
import { decidingTransaction } from '../db/transaction';
import { recordAudit } from '../db/audit-log';
import { ApiTokenLimitError, InvalidFieldsError, NotFoundError } from '../errors';
import { countWithin } from './limits';
import { lockUser } from './users';
import type { Actor } from './actor';
import type { ServiceDeps } from './deps';

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;

export interface ApiTokenRequest {
	name: string;
	scopes: readonly ApiTokenScope[];
	/** Null: never expires. */
	expiresInDays: number | null;
}

/** Permissions a token may name, grouped for people choosing them (a resource, `users`, ...). */
export interface TokenPermissionGroup {
	name: string;
	label: string;
	permissions: Array<{ permission: string; label: string; description: string }>;
}

/** What the scopes of a new token are checked against: the permissions that exist, the role. */
export interface ScopeRules {
	groups: readonly TokenPermissionGroup[];
	role: string;
}

const isShorthand = (scope: string) => (SHORTHAND_SCOPES as readonly string[]).includes(scope);

/** The groups with only the permissions the role holds; groups left empty are dropped. */
export function permissionsHeld(rules: ScopeRules): TokenPermissionGroup[] {
	return rules.groups
		.map((group) => ({
			...group,
			permissions: group.permissions.filter((p) => roleCan(rules.role, p.permission))
		}))
		.filter((group) => group.permissions.length > 0);
}

/**
 * The scopes as stored, or a field error on `scopes`: every one a shorthand or a permission that
 * exists, and held by the owner's role now (a token never starts with more than its owner).
 */
export function checkScopes(scopes: readonly string[], rules: ScopeRules): string[] {
	const known = new Set(
		rules.groups.flatMap((group) => group.permissions.map((p) => p.permission))
	);
	const unknown = scopes.filter((scope) => !isShorthand(scope) && !known.has(scope));
	if (unknown.length > 0) {
		const message = `Not a permission an API token can use: ${[...new Set(unknown)].join(', ')}`;
		throw new InvalidFieldsError({ scopes: message }, message);
	}
	const beyond = scopes.filter((scope) => !isShorthand(scope) && !roleCan(rules.role, scope));
	if (beyond.length > 0) {
		const message = `Your role does not have the permission ${[...new Set(beyond)].join(', ')}`;
		throw new InvalidFieldsError({ scopes: message }, message);
	}
	return normalizeScopes(scopes);
}

/**
 * A token for the actor; the returned `token` is the only copy there will ever be. At most
 * `maxPerUser` held (live and expired ones count until revoked), and a few created per hour.
 */
export async function createApiToken(
	deps: ServiceDeps,
	actor: Actor,
	request: ApiTokenRequest,
	rules: ScopeRules
): Promise<NewApiToken> {
	// Before anything is written, the rate limit's count included.
	const scopes = checkScopes(request.scopes, rules);
	const { db } = deps;
	const { maxPerUser, createsPerHour } = deps.policy.apiTokens;
	const now = deps.clock.now();
	const expiresAt = request.expiresInDays === null ? null : now + request.expiresInDays * DAY;
	const attempt = await countWithin(
		deps,
		`api-token-create:${actor.actorId}`,
		HOUR,
		createsPerHour
	);
	try {
		return await decidingTransaction(db, async (trx) => {
			// The owner's row first: concurrent creates queue here, so each counts what the one
			// before it committed and the cap holds under concurrency.
			await lockUser({ ...deps, db: trx }, actor.actorId);
			if ((await countApiTokens(trx, actor.actorId)) >= maxPerUser) {
				throw new ApiTokenLimitError(maxPerUser);
			}
			const created = await insertApiToken(
				trx,
				{ userId: actor.actorId, name: request.name, scopes, expiresAt },
				now
			);
			const { summary } = created;
			await recordAudit(
				trx,
				{
					event: 'api_token.created',
					subjectId: actor.actorId,
					details:
						`token=${summary.prefix} scopes=${summary.scopes.join(',')} ` +
						`expires=${expiresAt === null ? 'never' : new Date(expiresAt).toISOString()}`,
					...actor
				},
				now
			);
			return created;
		});
	} catch (error) {
		await release(db, attempt); // nothing was created
		throw error;
	}
}

/** Revokes one token; `ownerId` restricts it to that user's tokens (people revoking their own). */
export async function revokeApiToken(
	deps: ServiceDeps,
	actor: Actor,
	id: string,
	ownerId: string | null
): Promise<void> {
	const { db } = deps;
	const now = deps.clock.now();
	await decidingTransaction(db, async (trx) => {
		const token = await findApiToken(trx, id);
		// Someone else's token answers like one that does not exist.
		if (!token || (ownerId !== null && token.userId !== ownerId)) {
			throw new NotFoundError('No such API token');
		}
		if (!(await deleteApiToken(trx, id, ownerId))) throw new NotFoundError('No such API token');
		await recordAudit(
			trx,
			{
				event: 'api_token.revoked',
				subjectId: token.userId,
				details: `token=${token.prefix}`,
				...actor
			},
			now
		);
	});
}

/**
 * Revokes every token of the users (inside the caller's transaction), auditing each user whose
 * tokens there were; `reason` goes into the audit details.
 */
export async function revokeAllApiTokens(
	deps: ServiceDeps,
	actor: Actor,
	userIds: readonly string[],
	reason: string,
	now = deps.clock.now()
): Promise<void> {
	const trx = deps.db;
	for (const userId of userIds) {
		const revoked = await deleteUserApiTokens(trx, userId);
		if (revoked === 0) continue;
		await recordAudit(
			trx,
			{
				event: 'api_token.revoked',
				subjectId: userId,
				details: `all=${revoked} (${reason})`,
				...actor
			},
			now
		);
	}
}

/** The user's tokens, newest first: every one (at most 50 are held), never a secret. */
export function listApiTokens(deps: ServiceDeps, userId: string): Promise<ApiTokenSummary[]> {
	return listTokenRows(deps.db, userId);
}

export type { ApiTokenSummary };
