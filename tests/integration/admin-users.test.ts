// Managing users through the admin API: the list, creating and renaming, deactivation,
// passwords and unlocking. Server-side callers on each dialect, codes from a real SMTP sink.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { getPolicy } from '$lib/server/auth/policy';
import { useApiHarness, errorOf, type Caller } from '../helpers/api-harness';
import { policyWithOrigin, waitForConfirmToken } from '../helpers/email-change';
import { dialects } from '../../tools/databases';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

const policy = getPolicy();
const NEW_PASSWORD = 'a brand new password';
const NO_SUCH_ID = 'a'.repeat(24);

describe.each(dialects)('admin API users on %s', (dialect) => {
	const api = useApiHarness(dialect);
	const { callerFor, login, signIn, isValid } = api;

	function userRow(id: string) {
		return api.db
			.selectFrom('users')
			.select(['role', 'is_active', 'password_hash', 'locked_at', 'otp_failures'])
			.where('id', '=', id)
			.executeTakeFirstOrThrow();
	}

	async function asNewAdmin(): Promise<{ admin: SeededUser; caller: Caller; token: string }> {
		const admin = await seedUser(api.db, { role: 'admin' });
		const token = await signIn(admin);
		return { admin, caller: await callerFor(token), token };
	}

	describe('users.list matches search text literally, filters, sorts and pages', () => {
		// One tag per run keeps this describe's users apart from everyone else's.
		const tag = `l${randomBytes(3).toString('hex')}`;
		const paged: string[] = [];
		const createdOrder: string[] = [];
		let admin: Caller;

		beforeAll(async () => {
			admin = (await asNewAdmin()).caller;
			// Names with LIKE metacharacters and the escape character. `%` and `!` are outside
			// the username rules, so these come straight from the service, as a CLI import could.
			for (const name of ['a_b', 'axb', 'a%b', 'a!b']) {
				await seedUser(api.db, { username: `${tag}-${name}` });
			}
			await seedUser(api.db, { username: `${tag}-mail`, email: `contact-${tag}@example.net` });
			// Twelve users for pages and sorting, created out of name order; the emails run the
			// other way round so that sorting by email differs from sorting by username.
			for (const n of [7, 2, 11, 4, 9, 1, 12, 5, 10, 3, 8, 6]) {
				const username = `${tag}-p${String(n).padStart(2, '0')}`;
				createdOrder.push(username);
				await seedUser(api.db, {
					username,
					email: `${tag}-e${String(13 - n).padStart(2, '0')}@example.com`,
					role: n === 3 || n === 8 ? 'admin' : 'member'
				});
			}
			paged.push(...[...createdOrder].sort());
			const set = (username: string, values: Record<string, number>) =>
				api.db.updateTable('users').set(values).where('username', '=', username).execute();
			await set(`${tag}-p05`, { is_active: 0 });
			await set(`${tag}-p06`, { locked_at: Date.now() });
			await set(`${tag}-p07`, { otp_email_confirmed_at: Date.now() });
		});

		async function names(query: Parameters<Caller['users']['list']>[0]): Promise<string[]> {
			return (await admin.users.list({ pageSize: 100, ...query })).users.map((u) => u.username);
		}

		it('treats _ % and ! in the search as plain characters', async () => {
			expect(await names({ search: `${tag}-a_b` })).toEqual([`${tag}-a_b`]);
			expect(await names({ search: `${tag}-a%b` })).toEqual([`${tag}-a%b`]);
			expect(await names({ search: `${tag}-a!b` })).toEqual([`${tag}-a!b`]);
			expect(await names({ search: `${tag}-a!` })).toEqual([`${tag}-a!b`]);
			expect(await names({ search: `${tag}-a%` })).toEqual([`${tag}-a%b`]);
		});

		it('searches usernames and emails, ignoring case', async () => {
			expect(await names({ search: `CONTACT-${tag.toUpperCase()}` })).toEqual([`${tag}-mail`]);
			expect(await names({ search: `${tag}-P1` })).toEqual([
				`${tag}-p10`,
				`${tag}-p11`,
				`${tag}-p12`
			]);
			expect(await names({ search: `${tag}-nobody` })).toEqual([]);
		});

		it('filters by role, active, locked and confirmed email, alone or together', async () => {
			const search = `${tag}-p`;
			expect(await names({ search, role: 'admin' })).toEqual([`${tag}-p03`, `${tag}-p08`]);
			expect(await names({ search, active: false })).toEqual([`${tag}-p05`]);
			expect(await names({ search, active: 'false' })).toEqual([`${tag}-p05`]);
			expect(await names({ search, locked: true })).toEqual([`${tag}-p06`]);
			expect(await names({ search, emailConfirmed: true })).toEqual([`${tag}-p07`]);
			expect((await names({ search, locked: false })).length).toBe(11);
			expect((await names({ search, emailConfirmed: false })).length).toBe(11);
			expect(await names({ search, role: 'member', active: true, locked: false })).toEqual(
				paged.filter((name) => !/p0[3568]$/.test(name))
			);
		});

		it('sorts by username, email, creation and role in either direction', async () => {
			const search = `${tag}-p`;
			expect(await names({ search })).toEqual(paged);
			expect(await names({ search, sort: 'username', direction: 'desc' })).toEqual(
				[...paged].reverse()
			);
			expect(await names({ search, sort: 'email' })).toEqual([...paged].reverse());
			expect(await names({ search, sort: 'created' })).toEqual(createdOrder);
			expect(await names({ search, sort: 'created', direction: 'desc' })).toEqual(
				[...createdOrder].reverse()
			);
			const byRole = (await admin.users.list({ search, sort: 'role', pageSize: 100 })).users;
			expect(byRole.map((u) => u.role)).toEqual([
				...Array(2).fill('admin'),
				...Array(10).fill('member')
			]);
			const byRoleDesc = await admin.users.list({ search, sort: 'role', direction: 'desc' });
			expect(byRoleDesc.users.slice(-2).map((u) => u.role)).toEqual(['admin', 'admin']);
		});

		it('pages with pageSize and reports the total of all matches', async () => {
			const search = `${tag}-p`;
			const first = await admin.users.list({ search, pageSize: 10, page: 1 });
			const second = await admin.users.list({ search, pageSize: 10, page: 2 });
			const beyond = await admin.users.list({ search, pageSize: 10, page: 3 });
			expect([first.total, second.total, beyond.total]).toEqual([12, 12, 12]);
			expect(first.users).toHaveLength(10);
			expect([...first.users, ...second.users].map((u) => u.username)).toEqual(paged);
			expect(beyond.users).toEqual([]);
			expect((await errorOf(admin.users.list({ pageSize: 7 }))).code).toBe('BAD_REQUEST');
		});

		it('returns listed columns only: no password hash, nothing named hash', async () => {
			const { users } = await admin.users.list({ pageSize: 100 });
			expect(users.length).toBeGreaterThan(17);
			const json = JSON.stringify(users);
			expect(json).not.toMatch(/hash/i);
			expect(json).not.toContain('$argon2');
			for (const user of users) {
				expect(Object.keys(user).sort()).toEqual(
					[
						'active',
						'createdAt',
						'email',
						'emailConfirmed',
						'id',
						// Null, or where the invitation of someone with no password yet stands.
						'invitation',
						'locked',
						'role',
						'username'
					].sort()
				);
			}
			const detail = await admin.users.get({ id: users[0]!.id });
			expect(JSON.stringify(detail)).not.toMatch(/hash|\$argon2/i);
		});
	});

	describe('users.create and users.updateProfile refuse taken names and unknown ids', () => {
		it('creates a user who can sign in, audited with the admin as actor', async () => {
			const { admin, caller } = await asNewAdmin();
			const input = {
				username: `made-${randomBytes(3).toString('hex')}`,
				email: `made-${randomBytes(3).toString('hex')}@example.com`,
				password: 'a long enough password',
				role: 'member' as const
			};
			// Names are stored lower-case, whatever was typed.
			const created = await caller.users.create({
				...input,
				username: input.username.toUpperCase()
			});
			const user: SeededUser = { id: created.id, ...input };
			expect(await caller.users.get({ id: user.id })).toMatchObject({
				username: user.username,
				email: user.email,
				role: 'member',
				active: true
			});
			expect(await isValid(await signIn(user))).toBe(true);
			const { entries } = await caller.audit.list({ userId: user.id, event: 'user.created' });
			expect(entries).toMatchObject([{ actor: admin.username, subject: user.username }]);

			const taken = [
				() => caller.users.create({ ...input, email: 'other@example.com' }),
				() => caller.users.create({ ...input, username: `${input.username}-2` })
			];
			for (const call of taken) expect((await errorOf(call())).code).toBe('CONFLICT');
		});

		it('renames a user; a taken name is CONFLICT and an unknown id NOT_FOUND', async () => {
			const { caller } = await asNewAdmin();
			const user = await seedUser(api.db);
			const other = await seedUser(api.db);
			const renamed = { id: user.id, username: `${user.username}-renamed`, email: null };
			await caller.users.updateProfile(renamed);
			expect(await caller.users.get({ id: user.id })).toMatchObject({
				username: renamed.username,
				email: null
			});
			const conflict = caller.users.updateProfile({ ...renamed, username: other.username });
			expect((await errorOf(conflict)).code).toBe('CONFLICT');
			const missing = caller.users.updateProfile({ ...renamed, id: NO_SUCH_ID, username: 'ghost' });
			expect((await errorOf(missing)).code).toBe('NOT_FOUND');
		});
	});

	describe('deactivating a user ends their sessions and their sign-in until reactivated', () => {
		it('ends every session of every user named at once and refuses their password', async () => {
			const { caller } = await asNewAdmin();
			const user = await seedUser(api.db);
			const other = await seedUser(api.db);
			const tokens = [await signIn(user), await signIn(user), await signIn(other)];

			await caller.users.setActive({ ids: [user.id, other.id], active: false });
			for (const token of tokens) expect(await isValid(token)).toBe(false);
			const left = await api.db
				.selectFrom('sessions')
				.select('id')
				.where('user_id', 'in', [user.id, other.id])
				.execute();
			expect(left).toEqual([]);
			expect((await errorOf(login(user))).code).toBe('UNAUTHORIZED');
			expect((await caller.users.get({ id: user.id })).active).toBe(false);

			await caller.users.setActive({ ids: [user.id], active: true });
			expect(await isValid(await signIn(user))).toBe(true);
			expect((await caller.users.get({ id: user.id })).active).toBe(true);
		});

		it('refuses an admin deactivating, deleting or demoting themself', async () => {
			const { admin, caller, token } = await asNewAdmin();
			const deactivate = await errorOf(caller.users.setActive({ ids: [admin.id], active: false }));
			expect(deactivate.code).toBe('BAD_REQUEST');
			expect((await errorOf(caller.users.delete({ id: admin.id }))).code).toBe('FORBIDDEN');
			const demote = await errorOf(caller.users.setRole({ id: admin.id, role: 'member' }));
			expect(demote.code).toBe('BAD_REQUEST');
			expect(await userRow(admin.id)).toMatchObject({ role: 'admin', is_active: 1 });
			expect(await isValid(token)).toBe(true);
		});

		it('answers NOT_FOUND for unknown ids', async () => {
			const { caller } = await asNewAdmin();
			const calls = [
				() => caller.users.setActive({ ids: [NO_SUCH_ID], active: false }),
				() => caller.users.setRole({ id: NO_SUCH_ID, role: 'admin' }),
				() => caller.users.delete({ id: NO_SUCH_ID }),
				() => caller.users.unlock({ id: NO_SUCH_ID }),
				() => caller.users.get({ id: NO_SUCH_ID })
			];
			for (const call of calls) expect((await errorOf(call())).code).toBe('NOT_FOUND');
		});
	});

	describe('a new password ends sessions: all of them when set by an admin, the others when changed', () => {
		it('users.setPassword ends all the user’s sessions; only the new password works', async () => {
			const { caller } = await asNewAdmin();
			const user = await seedUser(api.db);
			const tokens = [await signIn(user), await signIn(user)];

			await caller.users.setPassword({ id: user.id, password: NEW_PASSWORD });
			for (const token of tokens) expect(await isValid(token)).toBe(false);
			expect((await errorOf(login(user))).code).toBe('UNAUTHORIZED');
			expect(await isValid(await signIn(user, NEW_PASSWORD))).toBe(true);
		});

		it('account.changePassword refuses a wrong current password and changes nothing', async () => {
			const user = await seedUser(api.db);
			const [current, other] = [await signIn(user), await signIn(user)];
			const before = await userRow(user.id);

			const caller = await callerFor(current);
			const wrong = caller.account.changePassword({
				current: 'not my password',
				next: NEW_PASSWORD
			});
			expect((await errorOf(wrong)).code).toBe('UNAUTHORIZED');
			expect(await userRow(user.id)).toEqual(before);
			expect(await isValid(other)).toBe(true);
		});

		it('account.changePassword ends the other sessions and keeps the current one', async () => {
			const user = await seedUser(api.db);
			const [current, other] = [await signIn(user), await signIn(user)];

			await (
				await callerFor(current)
			).account.changePassword({
				current: user.password,
				next: NEW_PASSWORD
			});
			expect(await isValid(current)).toBe(true);
			expect(await isValid(other)).toBe(false);
			expect((await errorOf(login(user))).code).toBe('UNAUTHORIZED');
			expect(await isValid(await signIn(user, NEW_PASSWORD))).toBe(true);
		});
	});

	describe('unlocking clears the lock and the failure budget', () => {
		it('clears locked_at, otp_failures and the backoff, audited as account.unlocked', async () => {
			const { admin, caller } = await asNewAdmin();
			const user = await seedUser(api.db);
			await api.db
				.updateTable('users')
				.set({
					locked_at: Date.now(),
					otp_failures: policy.otp.lockAfterFailures,
					otp_blocked_until: Date.now() + policy.otp.maxBackoffMs
				})
				.where('id', '=', user.id)
				.execute();
			expect(await caller.users.get({ id: user.id })).toMatchObject({
				locked: true,
				otpFailures: 100
			});
			expect((await errorOf(login(user))).code).toBe('UNAUTHORIZED');

			await caller.users.unlock({ id: user.id });
			expect(await userRow(user.id)).toMatchObject({ locked_at: null, otp_failures: 0 });
			const { entries } = await caller.audit.list({ userId: user.id, event: 'account.unlocked' });
			expect(entries).toMatchObject([
				{ event: 'account.unlocked', actor: admin.username, subject: user.username }
			]);
			expect(await isValid(await signIn(user))).toBe(true);
		});
	});

	describe('rules added after review', () => {
		it('limits wrong current passwords on a password change, before checking them', async () => {
			const user = await seedUser(api.db);
			const caller = await callerFor(await signIn(user));
			for (let i = 0; i < policy.login.perUsernameAndAddress; i++) {
				const wrong = await errorOf(
					caller.account.changePassword({ current: 'not my password', next: NEW_PASSWORD })
				);
				expect(wrong.code).toBe('UNAUTHORIZED');
			}
			// Even the right password is refused now: the limit answers first.
			const limited = await errorOf(
				caller.account.changePassword({ current: user.password, next: NEW_PASSWORD })
			);
			expect(limited.code).toBe('TOO_MANY_REQUESTS');
			expect((await login(user)).status).toBe('otp_required');
			await waitForCode(api.sink, user.email!);
		});

		it('rolls back a bulk change naming an unknown user', async () => {
			const { caller } = await asNewAdmin();
			const member = await seedUser(api.db);
			const error = await errorOf(
				caller.users.setActive({ ids: [member.id, NO_SUCH_ID], active: false })
			);
			expect(error.code).toBe('NOT_FOUND');
			expect((await userRow(member.id)).is_active).toBe(1);
		});

		it('a new email (where codes go) stays pending, the account still confirmed, until its link proves it', async () => {
			const { token } = await asNewAdmin();
			const caller = await callerFor(token, { policy: policyWithOrigin() });
			const member = await seedUser(api.db);
			await signIn(member); // proves the address
			expect((await caller.users.get({ id: member.id })).emailConfirmed).toBe(true);
			const next = `new-${member.email}`;
			await caller.users.updateProfile({ id: member.id, username: member.username, email: next });
			expect(await caller.users.get({ id: member.id })).toMatchObject({
				email: member.email,
				emailConfirmed: true,
				pendingEmail: { email: next }
			});
			const link = await waitForConfirmToken(api.sink, next);
			await (await callerFor(null)).emailChange.confirm({ token: link });
			expect(await caller.users.get({ id: member.id })).toMatchObject({
				email: next,
				emailConfirmed: true
			});
		});

		it('clearing the email takes effect at once and marks the account unconfirmed', async () => {
			const { caller } = await asNewAdmin();
			const member = await seedUser(api.db);
			await signIn(member);
			await caller.users.updateProfile({ id: member.id, username: member.username, email: null });
			expect(await caller.users.get({ id: member.id })).toMatchObject({
				email: null,
				emailConfirmed: false
			});
		});

		it('refuses an unknown audit event instead of ignoring the filter', async () => {
			const { caller } = await asNewAdmin();
			// @ts-expect-error the input type already refuses it; a client without types reaches this
			expect((await errorOf(caller.audit.list({ event: 'no.such.event' }))).code).toBe(
				'BAD_REQUEST'
			);
		});
	});
});
