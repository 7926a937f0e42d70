// The permission checks of a call: the role's grants (permissions.ts) for everyone, and for a
// personal API token its scopes too (auth/api-token-scopes.ts), evaluated on every call. The
// verified tier checks each procedure's `.meta({ scope })` for tokens before anything runs;
// procedures whose input decides the permission (a resource's `bulk`, `users.get` of someone
// else) check the one it needs with `requirePermission`.
import { roleCan } from '../../permissions';
import { tokenMay } from '../auth/api-token-scopes';
import type { ApiTokenInfo, SessionUser } from '../auth/types';
import { ApiTokenNotAllowedError, ApiTokenScopeError, MissingPermissionError } from '../errors';

/**
 * The permission an API token needs for a procedure: one, any one of several (the procedure then
 * checks the one its input needs), or `null` for none (any signed-in caller may, by design).
 */
export type Scope = string | readonly string[] | null;

interface Caller {
	user: Pick<SessionUser, 'role'>;
	apiToken: ApiTokenInfo | null;
}

/** Whether the caller may use `permission`: the role holds it, and a token's scopes name it. */
export function may(ctx: Caller, permission: string): boolean {
	return ctx.apiToken
		? tokenMay(ctx.apiToken.scopes, ctx.user.role, permission)
		: roleCan(ctx.user.role, permission);
}

/**
 * Refuses a caller that may not use `permission`, naming it: the role first (what a person would
 * be told), then the token's scopes.
 */
export function requirePermission(ctx: Caller, permission: string): void {
	if (!roleCan(ctx.user.role, permission)) throw new MissingPermissionError(permission);
	if (ctx.apiToken && !may(ctx, permission)) throw new ApiTokenScopeError([permission]);
}

/**
 * The verified tier's check for a token call. A procedure that declares no scope refuses every
 * token (a new procedure is closed to tokens until it says what they need); several: any one.
 */
export function requireTokenScope(ctx: Caller, scope: Scope | undefined): void {
	if (!ctx.apiToken || scope === null) return;
	if (scope === undefined) throw new ApiTokenNotAllowedError();
	const needed = typeof scope === 'string' ? [scope] : scope;
	const [first, ...rest] = needed;
	if (first === undefined) throw new ApiTokenNotAllowedError();
	if (needed.some((permission) => may(ctx, permission))) return;
	// The role lacks all of them: say so as a person's session would hear it.
	const held = needed.filter((permission) => roleCan(ctx.user.role, permission));
	if (held.length === 0) throw new MissingPermissionError(first);
	throw new ApiTokenScopeError([first, ...rest]);
}
