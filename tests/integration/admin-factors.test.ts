// An admin's view of a user's second factors and the reset for a lost phone or key, through the
// server-side caller on each dialect: the view shows what exists (and nothing secret); the reset
// removes exactly the kinds named, ends every remembered device, writes its audit row and mails
// the owner. The refusals are in tests/security/admin-factors.test.ts.
import { describe, expect, it, vi } from 'vitest';
import { useApiHarness } from '../helpers/api-harness';
import { ACTIVITY_STAMPS, snapshotDatabase } from '../helpers/database-contents';
import { queuedSubjects } from '../helpers/mail-queue';
import { TEST_ORIGIN } from '../helpers/security-keys';
import { factorRows, userWithFactors } from '../helpers/user-factors';
import { dialects } from '../../tools/databases';
import { isCodeMailTo, seedUser } from '../../tools/sign-in';

vi.hoisted(() => {
	process.env.ORIGIN = 'https://admin.example.test';
});

const RESET_SUBJECT = 'The sign-in factors of your Admin account were reset';

describe.each(dialects)('admin view and reset of factors on %s', (dialect) => {
	const api = useApiHarness(dialect);

	async function admin() {
		const person = await seedUser(api.db, { role: 'admin' });
		return { person, caller: await api.callerFor(await api.signIn(person)) };
	}

	async function auditOf(userId: string, event: string) {
		return api.db
			.selectFrom('audit_log')
			.select(['event', 'details', 'actor_id'])
			.where('subject_id', '=', userId)
			.where('event', '=', event)
			.execute();
	}

	async function preferenceOf(userId: string) {
		const row = await api.db
			.selectFrom('users')
			.select('preferred_factor')
			.where('id', '=', userId)
			.executeTakeFirstOrThrow();
		return row.preferred_factor;
	}

	describe('users.factors shows what exists', () => {
		it('an authenticator app, security keys, remembered devices and backup tokens, with dates', async () => {
			expect(process.env.ORIGIN).toBe(TEST_ORIGIN);
			const { caller } = await admin();
			const { user } = await userWithFactors(api);

			const factors = await caller.users.factors({ id: user.id });
			expect(factors).toEqual({
				email: { address: user.email, separate: false, confirmed: true, pendingAddress: null },
				totp: {
					enabled: true,
					confirmedAt: expect.any(Date),
					lastUsedAt: expect.any(Date),
					usable: true
				},
				securityKeys: [
					expect.objectContaining({ name: 'YubiKey 5', lastUsedAt: null }),
					expect.objectContaining({ name: 'Spare key', lastUsedAt: null })
				],
				rememberedDevices: { count: 1, lastUsedAt: null },
				backupTokens: { remaining: 3 },
				preferred: 'webauthn'
			});
			// The code that confirmed the setup is its last use, to within a step either way.
			expect(
				Math.abs(factors.totp.lastUsedAt!.getTime() - factors.totp.confirmedAt!.getTime())
			).toBeLessThanOrEqual(60_000);
		});

		it('a user with nothing but email: none of them', async () => {
			const { caller } = await admin();
			const user = await seedUser(api.db);
			expect(await caller.users.factors({ id: user.id })).toEqual({
				email: { address: user.email, separate: false, confirmed: false, pendingAddress: null },
				totp: { enabled: false, confirmedAt: null, lastUsedAt: null, usable: false },
				securityKeys: [],
				rememberedDevices: { count: 0, lastUsedAt: null },
				backupTokens: { remaining: 0 },
				preferred: null
			});
		});

		it('a remembered device that stood in for the second step shows its last use', async () => {
			const { caller } = await admin();
			const { user } = await userWithFactors(api);
			const used = Date.now() - 5 * 60_000;
			await api.db
				.updateTable('remembered_devices')
				.set({ last_used_at: used })
				.where('user_id', '=', user.id)
				.execute();
			const { rememberedDevices } = await caller.users.factors({ id: user.id });
			expect(rememberedDevices).toEqual({ count: 1, lastUsedAt: new Date(used) });
		});
	});

	describe('users.resetFactors', () => {
		it('removes the authenticator app and every key, ends the devices, audits and mails the owner', async () => {
			const { person, caller } = await admin();
			const { user } = await userWithFactors(api);
			const other = await userWithFactors(api);
			const otherBefore = await factorRows(api.db, other.user.id);

			expect(await caller.users.resetFactors({ id: user.id })).toEqual({
				totp: true,
				securityKeys: 2,
				devices: 1
			});
			// Backup tokens are not a factor the reset touches: they have their own revoke.
			expect(await factorRows(api.db, user.id)).toEqual({
				totp: 0,
				securityKeys: 0,
				devices: 0,
				backupTokens: 3
			});
			expect(await factorRows(api.db, other.user.id)).toEqual(otherBefore);
			expect(await auditOf(user.id, 'factors.reset')).toEqual([
				{
					event: 'factors.reset',
					details: 'kinds=totp,webauthn totp=1 keys=2 devices=1',
					actor_id: person.id
				}
			]);
			expect(await auditOf(user.id, 'device.forgotten')).toEqual([
				{
					event: 'device.forgotten',
					details: 'all=1 (factors reset by an administrator)',
					actor_id: person.id
				}
			]);
			expect(await preferenceOf(user.id)).toBeNull();

			const notice = await api.sink.waitForMessage(
				(m) => m.subject === RESET_SUBJECT && m.envelopeTo.includes(user.email!)
			);
			expect(notice.text).toContain('Your authenticator app was removed');
			expect(notice.text).toContain('Your 2 security keys were removed');
			expect(notice.text).toContain('The browser remembered for your account');
			expect(
				api.sink.messages.filter((m) => m.envelopeTo.includes(person.email!))
			).not.toContainEqual(expect.objectContaining({ subject: RESET_SUBJECT }));

			const factors = await caller.users.factors({ id: user.id });
			expect(factors).toMatchObject({
				totp: { enabled: false },
				securityKeys: [],
				rememberedDevices: { count: 0 },
				backupTokens: { remaining: 3 },
				preferred: null
			});
		});

		it("kinds: ['totp'] keeps the security keys; the devices end all the same", async () => {
			const { person, caller } = await admin();
			const { user } = await userWithFactors(api);
			expect(await caller.users.resetFactors({ id: user.id, kinds: ['totp'] })).toEqual({
				totp: true,
				securityKeys: 0,
				devices: 1
			});
			expect(await factorRows(api.db, user.id)).toMatchObject({
				totp: 0,
				securityKeys: 2,
				devices: 0
			});
			// The keys are still offered first.
			expect(await preferenceOf(user.id)).toBe('webauthn');
			expect(await auditOf(user.id, 'factors.reset')).toEqual([
				{
					event: 'factors.reset',
					details: 'kinds=totp totp=1 keys=0 devices=1',
					actor_id: person.id
				}
			]);
			const notice = await api.sink.waitForMessage(
				(m) => m.subject === RESET_SUBJECT && m.envelopeTo.includes(user.email!)
			);
			expect(notice.text).toContain('Your authenticator app was removed');
			expect(notice.text).not.toMatch(/security keys? (was|were) removed/);
		});

		it("kinds: ['webauthn'] keeps the authenticator app", async () => {
			const { caller } = await admin();
			const { user } = await userWithFactors(api);
			expect(await caller.users.resetFactors({ id: user.id, kinds: ['webauthn'] })).toEqual({
				totp: false,
				securityKeys: 2,
				devices: 1
			});
			expect(await factorRows(api.db, user.id)).toMatchObject({
				totp: 1,
				securityKeys: 0,
				devices: 0
			});
			expect(await preferenceOf(user.id)).toBeNull();
			expect((await caller.users.factors({ id: user.id })).totp).toMatchObject({ enabled: true });
		});

		it('a user with nothing to reset: nothing written, no mail', async () => {
			const { person } = await admin();
			const user = await seedUser(api.db);
			await api.signIn(user);
			const caller = await api.callerFor(await api.signIn(person));
			const before = await snapshotDatabase(api.db, { ignore: ACTIVITY_STAMPS });
			expect(await caller.users.resetFactors({ id: user.id })).toEqual({
				totp: false,
				securityKeys: 0,
				devices: 0
			});
			// The snapshot covers the mail queue too: no notice was queued.
			expect(await snapshotDatabase(api.db, { ignore: ACTIVITY_STAMPS })).toBe(before);
			expect(await queuedSubjects(api.db, user.email!)).not.toContain(RESET_SUBJECT);

			// A reset that removed something queues its notice, with the change, before answering.
			const { user: holder } = await userWithFactors(api);
			await caller.users.resetFactors({ id: holder.id });
			expect(await queuedSubjects(api.db, holder.email!)).toContain(RESET_SUBJECT);
		});

		it('after a reset the next sign-in offers only the emailed code, and sends it', async () => {
			const { caller } = await admin();
			const { user } = await userWithFactors(api);
			expect((await api.login(user)).methods).toEqual([
				'webauthn',
				'totp',
				'email',
				'backup_token'
			]);
			await caller.users.resetFactors({ id: user.id });
			const started = await api.login(user);
			expect(started).toMatchObject({ methods: ['email', 'backup_token'], codeSent: true });
			await api.sink.waitForMessage(isCodeMailTo(user.email!));
		});

		it('an admin may reset their own factors (with a fresh code, like any reset)', async () => {
			const { user, caller } = await userWithFactors(api, { role: 'admin' });
			expect(await caller.users.resetFactors({ id: user.id })).toEqual({
				totp: true,
				securityKeys: 2,
				devices: 1
			});
			expect(await auditOf(user.id, 'factors.reset')).toEqual([
				expect.objectContaining({ actor_id: user.id })
			]);
			// The session that made the reset goes on.
			expect(await caller.auth.me()).toMatchObject({ user: { id: user.id } });
		});
	});
});
