// Form actions and loads built by a page group (`$lib/server/pages`): the group's guard runs first,
// a refused call comes back as the form's answer (`fail()` with the message, field errors and the
// values it keeps, or "confirm with a fresh code first"), and redirects reach a browser without
// JavaScript. Real procedures through the server-side caller, on each dialect.
import { isHttpError, isRedirect, redirect, type RequestEvent } from '@sveltejs/kit';
import { describe, expect, it, vi } from 'vitest';
import { requireAdmin, requireVerified } from '$lib/server/auth/page-guards';
import { getPolicy } from '$lib/server/auth/policy';
import { validateSessionToken } from '$lib/server/auth/session';
import { definePageGroup, type PageGuard } from '$lib/server/pages/page-group';
import { stepUpActions } from '$lib/server/pages/step-up-actions';
import { advanceClock, useApiHarness } from '../helpers/api-harness';
import { dialects } from '../../tools/databases';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

const policy = getPolicy();
const ORIGIN = 'http://localhost';

/** What a thrown value was: the tests below expect redirects and HTTP errors to be thrown. */
async function thrownBy(run: () => Promise<unknown>): Promise<unknown> {
	return run().then(
		(value) => ({ returned: value }),
		(error: unknown) => error
	);
}

describe.each(dialects)('page groups on %s', (dialect) => {
	const harness = useApiHarness(dialect);

	/** The locals the session hook would set for this token (none for null). */
	async function localsFor(token: string | null): Promise<App.Locals> {
		const valid = token ? await validateSessionToken(harness.db, token, policy.session) : null;
		return {
			user: valid?.user ?? null,
			session: valid?.session ?? null,
			sessionToken: valid ? token : null,
			sessionTransport: valid ? 'bearer' : null,
			apiToken: null
		} as App.Locals;
	}

	/** A form POST as a browser without JavaScript sends it. */
	async function post(
		token: string | null,
		fields: Record<string, string> = {},
		path = '/page?/action'
	): Promise<RequestEvent> {
		const url = new URL(ORIGIN + path);
		const request = new Request(url, { method: 'POST', body: new URLSearchParams(fields) });
		return { locals: await localsFor(token), url, request, params: {} } as unknown as RequestEvent;
	}

	/** A group whose pages reach the API as the bearer of `token`; `calls` counts the callers built. */
	function groupFor<Access extends object>(guard: PageGuard<Access>, token: string | null) {
		const calls = vi.fn();
		const group = definePageGroup(guard, {
			createCaller: async () => {
				calls();
				return harness.callerFor(token);
			}
		});
		return { group, calls };
	}

	async function signedInAdmin(): Promise<{ admin: SeededUser; token: string }> {
		const admin = await seedUser(harness.db, { role: 'admin' });
		return { admin, token: await harness.signIn(admin) };
	}

	describe('a refused call is the form’s answer', () => {
		it('invalid input: 400 with the field errors and the values it keeps, never the password', async () => {
			const { token } = await signedInAdmin();
			const { group } = groupFor(requireVerified, token);
			const create = group.action(
				async ({ api, text, values }) => {
					await api.users.create({ ...values, role: 'member', password: text('password') });
					return { created: true };
				},
				{ values: ['username', 'email'] }
			);
			const fields = { username: 'x', email: 'not an address', password: 'a secret password!' };

			const result = await create(await post(token, fields));

			expect(result).toMatchObject({
				status: 400,
				data: { message: 'Invalid input', values: { username: 'x', email: 'not an address' } }
			});
			const data = (result as { data: { fieldErrors: Record<string, string[]> } }).data;
			expect(Object.keys(data.fieldErrors).sort()).toEqual(['email', 'username']);
			expect(JSON.stringify(result)).not.toContain('a secret password!');
		});

		it('a refusal by the procedure keeps its status and safe message', async () => {
			const member = await seedUser(harness.db);
			const token = await harness.signIn(member);
			const { group } = groupFor(requireVerified, token);
			const unlock = group.action(async ({ api, text }) => {
				await api.users.unlock({ id: text('id') });
				return { unlocked: true };
			});

			const result = await unlock(await post(token, { id: member.id }));

			expect(result).toMatchObject({ status: 403, data: { message: expect.any(String) } });
			expect(result).not.toHaveProperty('data.fieldErrors');
		});

		it('the `failure` option is added to every failure', async () => {
			const { token } = await signedInAdmin();
			const { group } = groupFor(requireVerified, token);
			const unlock = group.action(
				async ({ api }) => {
					await api.users.unlock({ id: 'no such user' });
					return { unlocked: true };
				},
				{ failure: { section: 'profile' } }
			);

			const result = await unlock(await post(token));

			expect(result).toMatchObject({ status: 400, data: { section: 'profile' } });
		});

		it('an unexpected error is thrown on, not shown in the form', async () => {
			const { token } = await signedInAdmin();
			const { group } = groupFor(requireVerified, token);
			const broken = group.action(() => {
				throw new Error('driver detail');
			});

			const outcome = await thrownBy(async () => broken(await post(token)));

			expect(outcome).toBeInstanceOf(Error);
			expect((outcome as Error).message).toBe('driver detail');
		});
	});

	describe('step-up works without JavaScript', () => {
		it('a stale session is asked for a fresh code, the step-up actions obtain one, then the change goes through', async () => {
			const { admin, token } = await signedInAdmin();
			const member = await seedUser(harness.db);
			advanceClock(policy.stepUpWindowMs + 1000);
			const { group } = groupFor(requireVerified, token);
			const makeAdmin = group.action(
				async ({ api, values }) => {
					await api.users.setRole({ id: values.id, role: 'admin' });
					return { success: 'Role changed' };
				},
				{ values: ['id'] }
			);
			const stepUp = stepUpActions(group);

			// The panel comes with the ways this person can confirm (an email address only, here).
			expect(await makeAdmin(await post(token, { id: member.id }))).toMatchObject({
				status: 403,
				data: { stepUpRequired: true, stepUpMethods: ['email'], values: { id: member.id } }
			});
			expect(await stepUp.stepUpRequest(await post(token))).toEqual({
				stepUpSent: true,
				stepUpMethods: ['email']
			});
			const { code } = await waitForCode(harness.sink, admin.email!);
			// A wrong code keeps the code form on screen.
			const wrong = code === '000000' ? '111111' : '000000';
			expect(await stepUp.stepUpVerify(await post(token, { code: wrong }))).toMatchObject({
				status: 401,
				data: { stepUpSent: true }
			});
			expect(await stepUp.stepUpVerify(await post(token, { code }))).toEqual({ stepUpDone: true });
			expect(await makeAdmin(await post(token, { id: member.id }))).toEqual({
				success: 'Role changed'
			});
		});
	});

	describe('the guard runs first', () => {
		it('a pending session is sent to the code step before the form is read or the API called', async () => {
			const member = await seedUser(harness.db);
			const { pending } = await harness.startSignIn(member);
			const { group, calls } = groupFor(requireVerified, pending);
			const handler = vi.fn(() => ({ done: true }));
			const event = await post(pending, { id: member.id }, '/users?/deactivate');

			const outcome = await thrownBy(() => group.action(handler)(event));

			expect(isRedirect(outcome) && outcome.location).toBe(
				`/login/verify?redirectTo=${encodeURIComponent('/users?/deactivate')}`
			);
			expect(handler).not.toHaveBeenCalled();
			expect(calls).not.toHaveBeenCalled();
			expect(event.request.bodyUsed).toBe(false);
		});

		it('anyone signed out is sent to login by a load', async () => {
			const { group, calls } = groupFor(requireVerified, null);
			const handler = vi.fn(() => ({}));

			const outcome = await thrownBy(async () => group.load(handler)(await post(null)));

			expect(isRedirect(outcome) && outcome.location).toMatch(/^\/login\?redirectTo=/);
			expect(handler).not.toHaveBeenCalled();
			expect(calls).not.toHaveBeenCalled();
		});

		it('a member on an admin page gets 403 before the API is called', async () => {
			const member = await seedUser(harness.db);
			const token = await harness.signIn(member);
			const { group, calls } = groupFor(requireAdmin, token);
			const handler = vi.fn(() => ({}));

			const outcome = await thrownBy(async () => group.action(handler)(await post(token)));

			expect(isHttpError(outcome, 403)).toBe(true);
			expect(handler).not.toHaveBeenCalled();
			expect(calls).not.toHaveBeenCalled();
		});

		it('the load and action see the verified user the guard returned', async () => {
			const { admin, token } = await signedInAdmin();
			const { group } = groupFor(requireAdmin, token);

			const loaded = await group.load(({ user }) => user.id)(await post(token));
			const acted = await group.action(({ user }) => user.id)(await post(token));

			expect(loaded).toBe(admin.id);
			expect(acted).toBe(admin.id);
		});
	});

	it('a redirect after the call reaches the browser as a redirect (303), not a failure', async () => {
		const { token } = await signedInAdmin();
		const member = await seedUser(harness.db);
		const { group } = groupFor(requireVerified, token);
		const deactivate = group.action(async ({ api, text }) => {
			await api.users.setActive({ ids: [text('id')], active: false });
			redirect(303, '/users');
		});

		const outcome = await thrownBy(async () => deactivate(await post(token, { id: member.id })));

		expect(isRedirect(outcome) && [outcome.status, outcome.location]).toEqual([303, '/users']);
		const row = await harness.db
			.selectFrom('users')
			.select('is_active')
			.where('id', '=', member.id)
			.executeTakeFirstOrThrow();
		expect(Boolean(row.is_active)).toBe(false);
	});
});
