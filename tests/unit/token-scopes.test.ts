// API token scopes on their own: every procedure a token can reach names the permission it needs
// (from the built-in table or a resource), the table has no permission nobody checks, the
// shorthands mean what they say, a new token names only permissions that exist and its owner
// holds, and no resource may take a name the built-in permissions use.
import { describe, expect, it } from 'vitest';
import { BUILTIN_PERMISSIONS, ROLE_GRANTS } from '$lib/permissions';
import { normalizeScopes, scopesAllow, tokenMay } from '$lib/server/auth/api-token-scopes';
import { InvalidFieldsError } from '$lib/server/errors';
import { checkRegistry } from '$lib/server/resources/checks';
import { defineResource } from '$lib/server/resources/define';
import { text } from '$lib/server/resources/fields';
import { resources } from '$lib/server/resources/registry';
import { OPERATIONS, type AnyResource } from '$lib/server/resources/types';
import { checkScopes, permissionsHeld } from '$lib/server/services/api-tokens';
import type { Meta } from '$lib/server/trpc/init';
import { appRouter } from '$lib/server/trpc/router';
import { tokenPermissionGroups } from '$lib/server/trpc/token-permissions';

const procedures = Object.entries(
	appRouter._def.procedures as Record<string, { _def: { meta?: Meta } }>
).map(([path, procedure]) => ({ path, meta: procedure._def.meta ?? {} }));
const tokenReachable = procedures.filter((p) => ['verified', 'admin'].includes(p.meta.tier ?? ''));
const known = new Set(tokenPermissionGroups.flatMap((g) => g.permissions.map((p) => p.permission)));
/** Every permission string there is: the built-in table's and every resource operation's. */
const existing = new Set([
	...Object.keys(BUILTIN_PERMISSIONS),
	...(Object.values(resources) as AnyResource[]).flatMap((resource) => [
		...OPERATIONS.map((operation) => resource.permission(operation)),
		...Object.keys(resource.actions).map((name) => resource.permission(`action.${name}`))
	])
]);
const named = (scope: Meta['scope']): string[] =>
	scope === undefined || scope === null ? [] : typeof scope === 'string' ? [scope] : [...scope];

describe('every procedure a token can reach names its permission', () => {
	it('declares `scope` (null only where any signed-in caller may)', () => {
		const undeclared = tokenReachable.filter((p) => p.meta.scope === undefined);
		expect(undeclared.map((p) => p.path)).toEqual([]);
		const open = tokenReachable.filter((p) => p.meta.scope === null).map((p) => p.path);
		expect(open).toEqual(['resourceCatalog']);
	});

	it('names only permissions that exist', () => {
		const unknown = tokenReachable.flatMap((p) =>
			named(p.meta.scope)
				.filter((permission) => !existing.has(permission))
				.map((permission) => `${p.path}: ${permission}`)
		);
		expect(unknown).toEqual([]);
	});

	it('every built-in permission is one some procedure needs', () => {
		const used = new Set(tokenReachable.flatMap((p) => named(p.meta.scope)));
		expect(Object.keys(BUILTIN_PERMISSIONS).filter((p) => !used.has(p))).toEqual([]);
	});

	it('no procedure outside the token tiers declares one (it would never be checked)', () => {
		const elsewhere = procedures.filter(
			(p) => !tokenReachable.includes(p) && p.meta.scope !== undefined
		);
		expect(elsewhere.map((p) => p.path)).toEqual([]);
	});
});

describe('the shorthands', () => {
	it('`read` is every *.read permission, `write` every permission', () => {
		expect(scopesAllow(['read'], 'users.read')).toBe(true);
		expect(scopesAllow(['read'], 'featureFlags.read')).toBe(true);
		expect(scopesAllow(['read'], 'featureFlags.update')).toBe(false);
		expect(scopesAllow(['write'], 'featureFlags.action.enable')).toBe(true);
		expect(scopesAllow(['featureFlags.read'], 'featureFlags.update')).toBe(false);
		expect(scopesAllow(['featureFlags.read'], 'featureFlags.read')).toBe(true);
	});

	it('within the role: `write` is no more than the owner holds', () => {
		expect(tokenMay(['write'], 'member', 'featureFlags.read')).toBe(true);
		expect(tokenMay(['write'], 'member', 'featureFlags.update')).toBe(false);
		expect(tokenMay(['write'], 'member', 'users.read')).toBe(false);
		expect(tokenMay(['write'], 'member', 'account.update')).toBe(true);
		expect(tokenMay(['write'], 'no-such-role', 'account.read')).toBe(false);
	});

	it('are stored in one spelling: the first tokens’ `read` and `read,write` unchanged', () => {
		expect(normalizeScopes(['read'])).toEqual(['read']);
		expect(normalizeScopes(['read', 'write'])).toEqual(['read', 'write']);
		expect(normalizeScopes(['write', 'users.read'])).toEqual(['read', 'write']);
		expect(normalizeScopes(['users.update', 'read', 'users.read'])).toEqual([
			'read',
			'users.update'
		]);
		expect(
			normalizeScopes(['featureFlags.update', 'featureFlags.read', 'featureFlags.read'])
		).toEqual(['featureFlags.read', 'featureFlags.update']);
	});
});

describe('a new token’s scopes', () => {
	const rules = (role: string) => ({ groups: tokenPermissionGroups, role });
	const fieldError = (call: () => unknown): string => {
		try {
			call();
		} catch (error) {
			if (error instanceof InvalidFieldsError) return error.fields.scopes ?? '';
			throw error;
		}
		return 'accepted';
	};

	it('name permissions that exist and a token can use (not one that needs a fresh code)', () => {
		expect(fieldError(() => checkScopes(['featureFlags.delete'], rules('admin')))).toBe(
			'Not a permission an API token can use: featureFlags.delete'
		);
		expect(fieldError(() => checkScopes(['featureFlags.fly'], rules('admin')))).toBe(
			'Not a permission an API token can use: featureFlags.fly'
		);
		expect(fieldError(() => checkScopes(['nothing.read', 'read'], rules('admin')))).toBe(
			'Not a permission an API token can use: nothing.read'
		);
	});

	it('name only what the owner’s role holds now (shorthands always: they mean “what I hold”)', () => {
		expect(fieldError(() => checkScopes(['users.read'], rules('member')))).toBe(
			'Your role does not have the permission users.read'
		);
		expect(checkScopes(['featureFlags.read', 'account.update'], rules('member'))).toEqual([
			'account.update',
			'featureFlags.read'
		]);
		expect(checkScopes(['write'], rules('member'))).toEqual(['read', 'write']);
	});

	it('are offered only as far as the role holds them', () => {
		const member = permissionsHeld(rules('member')).flatMap((g) =>
			g.permissions.map((p) => p.permission)
		);
		expect(member.sort()).toEqual(['account.read', 'account.update', 'featureFlags.read']);
		const admin = permissionsHeld(rules('admin')).flatMap((g) => g.permissions);
		expect(admin.length).toBe(known.size);
		expect(Object.keys(ROLE_GRANTS)).toContain('member');
	});
});

describe('resource names', () => {
	it('may not be one the built-in permissions use', () => {
		const audit = defineResource({
			name: 'audit',
			table: 'audit_things',
			title: 'name',
			fields: { name: text() },
			list: { columns: ['name'] }
		});
		expect(() => checkRegistry({ audit })).toThrow('taken by the built-in permissions');
	});
});
