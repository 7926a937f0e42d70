// Who may call the resources' procedures, for every registered resource and every derived
// procedure (tests/helpers/resource-calls.ts builds each call from the definition, so a new table
// is covered with no test written for it): nobody signed in and a session between password and
// code are refused; a role whose grants (ROLE_GRANTS) lack the permission, or a role nobody
// defined, is refused naming the permission; a `read` API token may not change anything (its
// scopes name no permission a change needs, and the refusal names it; tests/security/
// token-scopes.test.ts covers tokens scoped to permissions); the
// operations a definition lists under `stepUp` need a person's fresh code. Every refusal writes
// nothing; roles that hold the permission get through. Server-side callers on each dialect, with
// sessions and API tokens authenticated as the session hook does.
import { beforeAll, describe, expect, it } from 'vitest';
import { getPolicy } from '$lib/server/auth/policy';
import {
	ApiTokenScopeError,
	MissingPermissionError,
	StepUpRequiredError
} from '$lib/server/errors';
import { ROLE_GRANTS, roleCan } from '$lib/permissions';
import { appRouter } from '$lib/server/trpc/router';
import { advanceClock, errorOf, procedureAt, useApiHarness } from '../helpers/api-harness';
import { ACTIVITY_STAMPS, snapshotDatabase } from '../helpers/database-contents';
import {
	registeredResources,
	resourceCalls,
	seedResourceRows,
	uncoveredResourcePaths,
	type ResourceCall
} from '../helpers/resource-calls';
import { dialects } from '../../tools/databases';
import { seedUser, type SeededUser } from '../../tools/sign-in';

const policy = getPolicy();
/** A role that is in no ROLE_GRANTS entry (a typo, a role removed from the file): may do nothing. */
const UNDEFINED_ROLE = 'no-such-role';
const ROLES = [...Object.keys(ROLE_GRANTS), UNDEFINED_ROLE];

const { calls, unreachable } = resourceCalls();
const byLabel = (list: ResourceCall[]) => list.map((call) => [call.label, call] as const);
/** Calls a `read` token may make: those a `*.read` permission lets through. */
const reads = (call: ResourceCall) => call.permissions.some((p) => p.endsWith('.read'));
const changes = calls.filter((call) => !reads(call));
const steppedUp = calls.filter((call) => call.stepUp);
const holds = (role: string, call: ResourceCall) =>
	call.permissions.some((permission) => roleCan(role, permission));

describe.each(dialects)('resource procedures on %s', (dialect) => {
	const api = useApiHarness(dialect, { auth: 'authenticate' });
	/** A user of each role (and of one nobody defined), each with a fresh verified session. */
	const users: Record<string, SeededUser> = {};
	const sessions: Record<string, string> = {};
	let pending: string;
	let readToken: string;
	let writeToken: string;

	beforeAll(async () => {
		for (const role of ROLES) {
			const user = await seedUser(api.db, { role: role === 'admin' ? 'admin' : 'member' });
			// The role column holds any name; only ROLE_GRANTS gives one a meaning.
			await api.db
				.updateTable('users')
				.set({ role: role as never })
				.where('id', '=', user.id)
				.execute();
			users[role] = user;
			sessions[role] = await api.signIn(user);
		}
		pending = (await api.startSignIn(users.admin!)).pending;
		const admin = await api.callerFor(sessions.admin!);
		const token = (scopes: ['read'] | ['read', 'write']) =>
			admin.apiTokens.create({ name: scopes.join('-'), scopes, expiresInDays: 1 });
		readToken = (await token(['read'])).token;
		writeToken = (await token(['read', 'write'])).token;
		// A token's first use is audited: used once here, so later refusals are the only change.
		for (const used of [readToken, writeToken]) await (await api.callerFor(used)).resourceCatalog();
	});

	const contents = () => snapshotDatabase(api.db, { ignore: ACTIVITY_STAMPS });

	/** Calls as `token` on fresh rows; the call must fail with `code` and write nothing. */
	async function expectRefused(token: string | null, call: ResourceCall, code: string) {
		const targets = await seedResourceRows(api.db, users.admin!.id);
		const before = await contents();
		const caller = await api.callerFor(token);
		const error = await errorOf(procedureAt(caller, call.path)(call.input(targets)));
		expect(error.code, `${call.label}: ${error.message}`).toBe(code);
		expect(await contents(), call.label).toBe(before);
		return error;
	}

	it('every resources.* procedure of the router is called below [a new derived procedure fails here until resource-calls.ts can call it]', () => {
		const paths = Object.keys(appRouter._def.procedures);
		expect(uncoveredResourcePaths(paths)).toEqual([]);
		expect(calls.map((call) => call.resource.name)).toEqual(
			expect.arrayContaining(registeredResources.map((resource) => resource.name))
		);
	});

	it.each(unreachable.map((entry) => [entry.path, entry.reason] as const))(
		'%s takes no valid input (%s) [400 for an admin; nothing written]',
		async (path) => {
			const before = await contents();
			const caller = await api.callerFor(sessions.admin!);
			expect((await errorOf(procedureAt(caller, path)({}))).code).toBe('BAD_REQUEST');
			expect(await contents()).toBe(before);
		}
	);

	it.each(byLabel(calls))(
		'%s by nobody signed in and by a session waiting for its code [401; nothing written]',
		async (_label, call) => {
			await expectRefused(null, call, 'UNAUTHORIZED');
			await expectRefused(pending, call, 'UNAUTHORIZED');
		}
	);

	it.each(byLabel(calls))(
		'%s by every role without its permission, and by a role ROLE_GRANTS does not define [403 naming the permission; nothing written]',
		async (_label, call) => {
			const without = ROLES.filter((role) => !holds(role, call));
			expect(without).toContain(UNDEFINED_ROLE);
			for (const role of without) {
				const error = await expectRefused(sessions[role]!, call, 'FORBIDDEN');
				expect(error.cause, role).toBeInstanceOf(MissingPermissionError);
				expect(call.permissions, role).toContain(
					(error.cause as MissingPermissionError).permission
				);
			}
		}
	);

	it.each(byLabel(calls))(
		'%s by every role with its permission [gets past the checks: no 401 or 403]',
		async (_label, call) => {
			const allowed = ROLES.filter((role) => holds(role, call));
			expect(allowed).toContain('admin');
			for (const role of allowed) {
				const targets = await seedResourceRows(api.db, users.admin!.id);
				const caller = await api.callerFor(sessions[role]!);
				const outcome = await procedureAt(
					caller,
					call.path
				)(call.input(targets)).then(
					() => 'OK',
					(error: { code: string; message: string }) => `${error.code}: ${error.message}`
				);
				expect(outcome, role).not.toMatch(/^(UNAUTHORIZED|FORBIDDEN)/);
			}
		}
	);

	it('every mutation is a change a `read` token may not make', () => {
		const mutations = calls.filter((call) => call.kind === 'mutation');
		expect(changes).toEqual(expect.arrayContaining(mutations));
	});

	it.each(byLabel(changes))(
		"%s with an admin's `read` API token [403 naming the permission; nothing written]",
		async (_label, call) => {
			const error = await expectRefused(readToken, call, 'FORBIDDEN');
			expect(error.cause).toBeInstanceOf(ApiTokenScopeError);
			// Before the input is read, the refusal names every permission the procedure takes (bulk:
			// delete or a bulk action), the call's among them.
			expect((error.cause as ApiTokenScopeError).permissions).toEqual(
				expect.arrayContaining(call.permissions)
			);
		}
	);

	it.each(byLabel(calls.filter(reads)))(
		"%s with an admin's `read` API token [answers]",
		async (_label, call) => {
			const targets = await seedResourceRows(api.db, users.admin!.id);
			const caller = await api.callerFor(readToken);
			await procedureAt(caller, call.path)(call.input(targets));
		}
	);

	it.each(byLabel(steppedUp))(
		"%s (listed under stepUp) with an admin's write API token, and by a session whose last code is over 10 minutes old [403 step-up required; nothing written]",
		async (_label, call) => {
			const byToken = await expectRefused(writeToken, call, 'FORBIDDEN');
			expect(byToken.message).toMatch(/API token/i);
			const stale = await api.signIn(users.admin!);
			advanceClock(policy.stepUpWindowMs + 60_000);
			const bySession = await expectRefused(stale, call, 'FORBIDDEN');
			expect(bySession.cause).toBeInstanceOf(StepUpRequiredError);
		}
	);

	it('resourceCatalog describes exactly the resources each role may read [none for a role nobody defined]', async () => {
		for (const role of ROLES) {
			const catalog = await (await api.callerFor(sessions[role]!)).resourceCatalog();
			const readable = registeredResources.filter((resource) =>
				roleCan(role, resource.permission('read'))
			);
			expect(catalog.map((entry) => entry.name).sort(), role).toEqual(
				readable.map((resource) => resource.name).sort()
			);
		}
		expect(ROLES.filter((role) => !Object.hasOwn(ROLE_GRANTS, role))).toEqual([UNDEFINED_ROLE]);
	});
});
