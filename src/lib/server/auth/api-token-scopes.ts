// What a personal API token may reach: its scopes, permission strings (permissions.ts) or the
// shorthands `read` (every `*.read` permission) and `write` (every permission). A call needs its
// permission in the token's scopes *and* in the owner's role at that moment: a token never does
// more than its owner, and shrinks with them. Stored comma-separated in `api_tokens.scopes`; the
// tokens made before scopes named permissions hold `read` or `read,write` and keep their meaning.
import { roleCan } from '../../permissions';

export const SHORTHAND_SCOPES = ['read', 'write'] as const;

/** Whether the scopes name `permission`, by itself or through a shorthand. */
export function scopesAllow(scopes: readonly string[], permission: string): boolean {
	return (
		scopes.includes('write') ||
		(scopes.includes('read') && permission.endsWith('.read')) ||
		scopes.includes(permission)
	);
}

/** What a token may do on this call: its scopes, within what the owner's role holds now. */
export function tokenMay(scopes: readonly string[], role: string, permission: string): boolean {
	return scopesAllow(scopes, permission) && roleCan(role, permission);
}

/**
 * One spelling per meaning, for storage and lists: `write` (always with `read`, as the first
 * tokens were stored) covers everything, `read` absorbs the `*.read` permissions, the rest sorted.
 */
export function normalizeScopes(scopes: readonly string[]): string[] {
	if (scopes.includes('write')) return ['read', 'write'];
	const read = scopes.includes('read');
	const named = [...new Set(scopes)]
		.filter((scope) => !(SHORTHAND_SCOPES as readonly string[]).includes(scope))
		.filter((scope) => !(read && scope.endsWith('.read')))
		.sort();
	return read ? ['read', ...named] : named;
}

export function scopesColumn(scopes: readonly string[]): string {
	return normalizeScopes(scopes).join(',');
}

export function scopesOf(column: string): string[] {
	return column.split(',').filter((scope) => scope !== '');
}
