// API tokens reach only what their scopes name, within what their owner holds at each call, on
// each dialect. For every registered resource, an admin's token scoped to that resource alone calls
// every other procedure of the router (enumerated, so a new procedure is covered) with input aimed
// at real rows: each is FORBIDDEN, naming a permission the procedure needs (or refusing tokens
// outright on the human tiers), and nothing in the database changes. Creating a token that names a
// permission that does not exist, or one its owner's role lacks, is a 400 on `scopes` that writes
// nothing. A token whose owner was demoted loses what the role lost; one whose owner was
// deactivated is dead.
import { beforeAll, describe, expect, it } from 'vitest';
import {
	ApiTokenNotAllowedError,
	ApiTokenScopeError,
	InvalidFieldsError,
	MissingPermissionError
} from '$lib/server/errors';
import type { Meta } from '$lib/server/trpc/init';
import { appRouter } from '$lib/server/trpc/router';
import { errorOf, procedureAt, useApiHarness, type Caller } from '../helpers/api-harness';
import { ACTIVITY_STAMPS, snapshotDatabase } from '../helpers/database-contents';
import {
	registeredResources,
	resourceCalls,
	seedResourceRows,
	type CallTargets
} from '../helpers/resource-calls';
import { routerProcedures } from '../helpers/tier-callers';
import { tokenPermissionGroups } from '$lib/server/trpc/token-permissions';
import { dialects } from '../../tools/databases';
import { seedUser, type SeededUser } from '../../tools/sign-in';

const TOKEN_TIERS = ['verified', 'admin'];
const metaOf = (path: string): Meta =>
	(appRouter._def.procedures as Record<string, { _def: { meta?: Meta } }>)[path]!._def.meta ?? {};
const scopeOf = (path: string): string[] => {
	const scope = metaOf(path).scope;
	return scope === undefined || scope === null
		? []
		: typeof scope === 'string'
			? [scope]
			: [...scope];
};
const { calls } = resourceCalls();

/** What the calls aim at: someone else, locked, signed in; and a row of every resource. */
interface Targets {
	other: SeededUser;
	otherSession: string;
	rows: CallTargets;
}

/** Input a call would act on if it got through (built-in procedures; resources: their own). */
function inputFor(path: string, targets: Targets): unknown {
	const { other } = targets;
	const resourceCall = calls.find((call) => call.path === path);
	if (resourceCall) return resourceCall.input(targets.rows);
	const inputs: Record<string, unknown> = {
		'backupTokens.countFor': { userId: other.id },
		'sessions.all': { userId: other.id },
		'sessions.revoke': { publicId: targets.otherSession },
		'users.find': { name: other.username },
		'users.get': { id: other.id },
		'users.history': { id: other.id },
		'users.factors': { id: other.id },
		'users.resetFactors': { id: other.id },
		'users.unlock': { id: other.id },
		'users.invite': {
			username: `invited-${other.username}`,
			email: `invited-${other.email}`,
			role: 'member'
		},
		'users.resendInvitation': { id: other.id },
		'users.revokeInvitation': { id: other.id },
		'users.create': {
			username: `made-${other.username}`,
			email: `made-${other.email}`,
			role: 'member',
			password: 'a long enough password'
		},
		'users.setActive': { ids: [other.id], active: false },
		'users.setRole': { id: other.id, role: 'admin' },
		'users.setPassword': { id: other.id, password: 'a long enough password' },
		'users.sendPasswordReset': { id: other.id },
		'users.delete': { id: other.id },
		'backupTokens.generateFor': { userId: other.id, count: 5 },
		'backupTokens.revokeFor': { userId: other.id },
		'twoFactor.clearEmailFor': { userId: other.id }
	};
	return inputs[path] ?? {};
}

describe.each(dialects)('API token scopes on %s', (dialect) => {
	const api = useApiHarness(dialect, { auth: 'authenticate' });
	let admin: SeededUser;
	let adminSession: string;
	let targets: Targets;

	beforeAll(async () => {
		admin = await seedUser(api.db, { role: 'admin' });
		adminSession = await api.signIn(admin);
		const other = await seedUser(api.db);
		await api.signIn(other);
		await api.db
			.updateTable('users')
			.set({ locked_at: Date.now(), otp_failures: 100 })
			.where('id', '=', other.id)
			.execute();
		const session = await api.db
			.selectFrom('sessions')
			.select('public_id')
			.where('user_id', '=', other.id)
			.executeTakeFirstOrThrow();
		targets = {
			other,
			otherSession: session.public_id,
			rows: await seedResourceRows(api.db, admin.id)
		};
	});

	const contents = () => snapshotDatabase(api.db, { ignore: ACTIVITY_STAMPS });

	/** A token of `session`'s owner, used once (its first use is audited: later calls write nothing). */
	async function tokenFor(session: string, scopes: string[]): Promise<string> {
		const { token } = await (
			await api.callerFor(session)
		).apiTokens.create({
			name: scopes.join(' ').slice(0, 100),
			scopes,
			expiresInDays: 1
		});
		await (await api.callerFor(token)).auth.me();
		return token;
	}

	describe.each(registeredResources.map((resource) => [resource.name, resource] as const))(
		'a token scoped to %s alone',
		(name, resource) => {
			const own = (path: string) => path.startsWith(`resources.${name}.`);
			const others = routerProcedures().filter(
				(p) => p.tier !== 'public' && !own(p.path) && metaOf(p.path).scope !== null
			);
			let caller: Caller;

			beforeAll(async () => {
				// Every permission of the resource a token may hold (not those behind step-up).
				const group = tokenPermissionGroups.find((g) => g.name === name)!;
				const permissions = group.permissions.map((p) => p.permission);
				caller = await api.callerFor(await tokenFor(adminSession, permissions));
			});

			it('the router’s other procedures are all called below', () => {
				const paths = Object.keys(appRouter._def.procedures);
				const skipped = paths.filter((path) => !others.some((p) => p.path === path) && !own(path));
				// Public procedures take no credential; `resourceCatalog` takes any token and lists
				// what it may read (asserted below).
				expect(
					skipped.every((path) => metaOf(path).tier === 'public' || path === 'resourceCatalog')
				).toBe(true);
				expect(others.length).toBeGreaterThan(20);
			});

			it.each(others.map((p) => [p.path, p] as const))(
				'%s [403 naming the permission it needs; nothing written]',
				async (path, procedure) => {
					const before = await contents();
					const error = await errorOf(procedureAt(caller, path)(inputFor(path, targets)));
					expect(error.code, error.message).toBe('FORBIDDEN');
					if (TOKEN_TIERS.includes(procedure.tier)) {
						expect(error.cause).toBeInstanceOf(ApiTokenScopeError);
						const { permission } = error.cause as ApiTokenScopeError;
						expect(scopeOf(path)).toContain(permission);
						expect(error.message).toContain(permission);
					} else {
						expect(error.cause).toBeInstanceOf(ApiTokenNotAllowedError);
					}
					expect(await contents()).toBe(before);
				}
			);

			it('resourceCatalog lists that resource alone', async () => {
				expect((await caller.resourceCatalog()).map((entry) => entry.name)).toEqual([name]);
			});

			it('its own resource’s procedures let it in (not step-up ones: no token holds those)', async () => {
				for (const call of calls.filter((c) => c.resource === resource)) {
					const rows = await seedResourceRows(api.db, admin.id);
					const outcome = await procedureAt(
						caller,
						call.path
					)(call.input(rows)).then(
						() => 'OK',
						(error: { code: string }) => error.code
					);
					expect(outcome, call.label).toBe(call.stepUp ? 'FORBIDDEN' : 'OK');
				}
			});
		}
	);

	describe('creating a token with scopes beyond what exists or what the owner holds', () => {
		it.each([
			['a member', 'member', ['users.read']],
			['a member', 'member', ['featureFlags.read', 'featureFlags.update']],
			['a member', 'member', ['read', 'sessions.delete']],
			['an admin', 'admin', ['nothing.read']],
			['an admin', 'admin', ['featureFlags.action.fly']],
			['an admin', 'admin', ['users.delete']],
			['an admin', 'admin', ['featureFlags.delete']],
			['an admin', 'admin', ['featureFlags.read', 'audit.delete']]
		] as const)(
			'%s (%s) naming %j [400 on scopes; nothing written]',
			async (_who, role, scopes) => {
				const user = await seedUser(api.db, { role });
				const caller = await api.callerFor(await api.signIn(user));
				const before = await contents();
				const error = await errorOf(
					caller.apiTokens.create({ name: 'too much', scopes: [...scopes], expiresInDays: null })
				);
				expect(error.code).toBe('BAD_REQUEST');
				expect(error.cause).toBeInstanceOf(InvalidFieldsError);
				const message = (error.cause as InvalidFieldsError).fields.scopes;
				const beyond = scopes.filter((scope) => scope !== 'read' && scope !== 'featureFlags.read');
				expect(message).toMatch(
					/^(Not a permission an API token can use|Your role does not have the permission)/
				);
				for (const scope of beyond) expect(message).toContain(scope);
				expect(await contents()).toBe(before);
			}
		);
	});

	describe('a token never does more than its owner does now', () => {
		it('after a demotion from admin to member it loses what the role lost, and gets it back', async () => {
			const owner = await seedUser(api.db, { role: 'admin' });
			const token = await tokenFor(await api.signIn(owner), [
				'users.read',
				'featureFlags.read',
				'featureFlags.update'
			]);
			// A caller per request, as the session hook makes one: the owner's role is read each time.
			const call = () => api.callerFor(token);
			const flag = targets.rows.rows.featureFlags!;
			await (await call()).users.list({});

			const setRole = async (role: 'admin' | 'member') =>
				(await api.callerFor(adminSession)).users.setRole({ id: owner.id, role });
			await setRole('member');
			const before = await contents();
			const users = await errorOf((await call()).users.list({}));
			expect(users.code).toBe('FORBIDDEN');
			expect(users.cause).toBeInstanceOf(MissingPermissionError);
			expect((users.cause as MissingPermissionError).permission).toBe('users.read');
			const current = await (await call()).resources.featureFlags.get({ id: flag.id });
			const update = await errorOf(
				(await call()).resources.featureFlags.update({
					id: flag.id,
					version: current.version,
					values: { description: 'by a demoted token' }
				})
			);
			expect(update.code).toBe('FORBIDDEN');
			expect(update.message).toContain('featureFlags.update');
			expect(await contents()).toBe(before);

			await setRole('admin');
			await (await call()).users.list({});
		});

		it('after its owner is deactivated it is dead, revoked by the service or not', async () => {
			const viaService = await seedUser(api.db, { role: 'admin' });
			const revoked = await tokenFor(await api.signIn(viaService), ['users.read']);
			await (
				await api.callerFor(adminSession)
			).users.setActive({
				ids: [viaService.id],
				active: false
			});
			// The flag cleared outside the service (a script, a restore): the token row stays, and
			// the check on every call still turns it away.
			const direct = await seedUser(api.db, { role: 'admin' });
			const kept = await tokenFor(await api.signIn(direct), ['users.read']);
			await api.db.updateTable('users').set({ is_active: 0 }).where('id', '=', direct.id).execute();
			const held = await api.db
				.selectFrom('api_tokens')
				.select('id')
				.where('user_id', '=', direct.id)
				.execute();
			expect(held).toHaveLength(1);

			for (const token of [revoked, kept]) {
				const caller = await api.callerFor(token);
				expect(await caller.auth.me()).toBeNull();
				expect((await errorOf(caller.users.list({}))).code).toBe('UNAUTHORIZED');
			}
		});
	});
});
