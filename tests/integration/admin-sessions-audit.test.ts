// Sessions as users and admins see them (by public id, never a token), the audit log and the
// dashboard. Server-side callers on each dialect, codes from a real SMTP sink.
import { describe, expect, it } from 'vitest';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import { sha256Hex } from '$lib/server/auth/crypto';
import { getPolicy } from '$lib/server/auth/policy';
import { AUDIT_EVENTS, recordAudit } from '$lib/server/db/audit-log';
import { countUsers } from '$lib/server/services/users';
import { newId } from '$lib/server/ids';
import { useApiHarness, advanceClock, errorOf } from '../helpers/api-harness';
import { dialects } from '../../tools/databases';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';
import { testDeps } from '../../tools/service-deps';

const policy = getPolicy();
const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

describe.each(dialects)('admin API sessions and audit on %s', (dialect) => {
	const api = useApiHarness(dialect);
	const { callerFor, startSignIn, signIn, isValid } = api;

	async function asNewAdmin(): Promise<{ admin: SeededUser; token: string }> {
		const admin = await seedUser(api.db, { role: 'admin' });
		return { admin, token: await signIn(admin) };
	}

	describe('revokeOthers keeps the current session; admins list sessions without secrets', () => {
		it('sessions.revokeOthers ends every other session, pending ones too, and keeps this one', async () => {
			const user = await seedUser(api.db);
			const [current, second, third] = [await signIn(user), await signIn(user), await signIn(user)];
			const { pending } = await startSignIn(user);
			const caller = await callerFor(current);

			expect(await caller.sessions.revokeOthers()).toEqual({ ended: 3 });
			expect(await isValid(current)).toBe(true);
			for (const token of [second, third, pending]) expect(await isValid(token)).toBe(false);
			expect(await caller.account.sessions()).toMatchObject({
				sessions: [{ current: true }],
				total: 1
			});
			expect(await caller.sessions.revokeOthers()).toEqual({ ended: 0 });
		});

		it('sessions.all shows usernames and public ids, never a token or its hash', async () => {
			const { token: adminToken } = await asNewAdmin();
			const user = await seedUser(api.db);
			const tokens = [await signIn(user), await signIn(user)];
			const admin = await callerFor(adminToken);

			const { sessions: all } = await admin.sessions.all({ pageSize: 100 });
			const { sessions: mine } = await admin.sessions.all({ userId: user.id });
			expect(mine).toHaveLength(2);
			expect(mine.every((s) => s.userId === user.id && s.username === user.username)).toBe(true);
			const { sessions: own } = await (await callerFor(tokens[0]!)).account.sessions();
			expect(mine.map((s) => s.publicId).sort()).toEqual(own.map((s) => s.publicId).sort());
			expect(all.map((s) => s.publicId)).toEqual(
				expect.arrayContaining(own.map((s) => s.publicId))
			);

			const dump = JSON.stringify([all, mine, own]);
			for (const secret of [adminToken, ...tokens]) {
				expect(dump).not.toContain(secret);
				expect(dump).not.toContain(sha256Hex(secret));
			}
			expect(dump).not.toMatch(/hash/i);
		});

		it('an admin ends anyone’s session by public id', async () => {
			const { token: adminToken } = await asNewAdmin();
			const user = await seedUser(api.db);
			const token = await signIn(user);
			const {
				sessions: [session]
			} = await (await callerFor(adminToken)).sessions.all({ userId: user.id });

			await (await callerFor(adminToken)).sessions.revoke({ publicId: session!.publicId });
			expect(await isValid(token)).toBe(false);
			const again = (await callerFor(adminToken)).sessions.revoke({ publicId: session!.publicId });
			expect((await errorOf(again)).code).toBe('NOT_FOUND');
		});
	});

	describe('sessions.all and account.sessions page through every live session, like the users list: never a silent cap', () => {
		/** `count` live sessions of `userId`, one a second apart, written straight to the table. */
		async function plantSessions(userId: string, count: number): Promise<string[]> {
			const now = Date.now();
			const rows = Array.from({ length: count }, (_, i) => ({
				id: sha256Hex(`planted-${userId}-${i}`),
				public_id: newId(),
				user_id: userId,
				state: 'verified' as const,
				created_at: now - i * 1000,
				expires_at: now + DAY,
				ip: null,
				user_agent: null,
				verified_at: now,
				last_seen_at: null,
				promoted_from: null
			}));
			for (let i = 0; i < rows.length; i += 100) {
				await api.db
					.insertInto('sessions')
					.values(rows.slice(i, i + 100))
					.execute();
			}
			return rows.map((row) => row.public_id);
		}

		it('205 sessions of one user: a total of 205, and the pages hold each once, newest first', async () => {
			const { token } = await asNewAdmin();
			const user = await seedUser(api.db);
			const planted = await plantSessions(user.id, 205);
			const admin = await callerFor(token);

			const first = await admin.sessions.all({ userId: user.id });
			expect(first).toMatchObject({ total: 205, userCount: 1 });
			expect(first.sessions).toHaveLength(25);
			const seen: string[] = [];
			for (let page = 1; page <= 3; page++) {
				const listed = await admin.sessions.all({ userId: user.id, page, pageSize: 100 });
				expect(listed.total).toBe(205);
				seen.push(...listed.sessions.map((session) => session.publicId));
			}
			// Planted newest first, so the listing order is the planting order.
			expect(seen).toEqual(planted);
			const past = await admin.sessions.all({ userId: user.id, page: 4, pageSize: 100 });
			expect(past).toMatchObject({ sessions: [], total: 205 });
		});

		it('account.sessions: your own 205 sessions come in pages too, each once, yours marked', async () => {
			const user = await seedUser(api.db);
			const planted = await plantSessions(user.id, 205);
			const own = await callerFor(await signIn(user));

			const first = await own.account.sessions();
			expect(first.total).toBe(206);
			expect(first.sessions).toHaveLength(25);
			// Signed in just now: the newest, so first on the first page.
			expect(first.sessions[0]).toMatchObject({ current: true });
			const seen: string[] = [];
			for (let page = 1; page <= 3; page++) {
				const listed = await own.account.sessions({ page, pageSize: 100 });
				expect(listed.total).toBe(206);
				seen.push(...listed.sessions.map((session) => session.publicId));
			}
			expect(seen.slice(1)).toEqual(planted);
			expect((await own.account.sessions({ page: 4, pageSize: 100 })).sessions).toEqual([]);
			// No page size beyond the fixed choices: no request gets the whole table at once.
			expect((await errorOf(own.account.sessions({ pageSize: 1000 }))).code).toBe('BAD_REQUEST');
			expect(JSON.stringify(first)).not.toContain(user.id);
		});

		it("everyone's sessions: counted over all pages, with how many people hold them", async () => {
			const { token } = await asNewAdmin();
			const [one, two] = [await seedUser(api.db), await seedUser(api.db)];
			await plantSessions(one.id, 3);
			await plantSessions(two.id, 2);
			const admin = await callerFor(token);
			const everyone = await admin.sessions.all();
			const live = await api.db
				.selectFrom('sessions')
				.select((eb) => [
					eb.fn.countAll<number>().as('n'),
					eb.fn.count<number>('user_id').distinct().as('users')
				])
				.where('expires_at', '>', Date.now())
				.executeTakeFirstOrThrow();
			expect(everyone.total).toBe(Number(live.n));
			expect(everyone.userCount).toBe(Number(live.users));
			expect(everyone.sessions.length).toBe(Math.min(25, Number(live.n)));
		});

		it('refuses page sizes other than 10, 25, 50 and 100, and pages below 1', async () => {
			const admin = await callerFor((await asNewAdmin()).token);
			for (const input of [{ pageSize: 1000 }, { pageSize: 7 }, { page: 0 }, { page: 1.5 }]) {
				expect((await errorOf(admin.sessions.all(input))).code).toBe('BAD_REQUEST');
			}
		});
	});

	describe('the audit log filters by event, user and time, newest first, in pages', () => {
		it('filters by event, and by user as subject or as actor', async () => {
			const { admin, token } = await asNewAdmin();
			const user = await seedUser(api.db);
			const caller = await callerFor(token);
			await caller.users.unlock({ id: user.id });
			await insertBackupTokens(api.db, user.id, 1); // revoking nothing would record nothing
			await caller.backupTokens.revokeFor({ userId: user.id });

			const unlocked = await caller.audit.list({ event: 'account.unlocked', userId: user.id });
			expect(unlocked).toMatchObject({
				total: 1,
				entries: [{ event: 'account.unlocked', actor: admin.username, subject: user.username }]
			});
			const events = await caller.audit.list({ event: 'account.unlocked' });
			expect(events.entries.every((e) => e.event === 'account.unlocked')).toBe(true);

			const aboutUser = await caller.audit.list({ userId: user.id });
			expect(aboutUser.entries.map((e) => e.event).sort()).toEqual(
				['account.unlocked', 'backup_token.revoked', 'user.created'].sort()
			);
			const byAdmin = await caller.audit.list({ userId: admin.id });
			for (const entry of byAdmin.entries) {
				expect(entry.subjectId === admin.id || entry.actor === admin.username).toBe(true);
			}
			// As actor (the user is the subject) and as subject (the admin's own sign-in).
			expect(byAdmin.entries).toEqual(
				expect.arrayContaining([
					expect.objectContaining({ event: 'account.unlocked', subjectId: user.id }),
					expect.objectContaining({ event: 'otp.verified', subjectId: admin.id })
				])
			);
		});

		it('filters by time (from inclusive, to exclusive) and lists newest first', async () => {
			const { token } = await asNewAdmin();
			const user = await seedUser(api.db);
			for (let hour = 0; hour < 3; hour++) {
				if (hour > 0) advanceClock(HOUR);
				await (await callerFor(token)).users.unlock({ id: user.id });
			}
			const caller = await callerFor(token);
			const query = { userId: user.id, event: 'account.unlocked' } as const;
			const times = (await caller.audit.list(query)).entries.map((e) => e.createdAt.getTime());
			expect(times).toHaveLength(3);
			const [latest, middle, earliest] = times as [number, number, number];
			expect(latest - middle).toBeGreaterThanOrEqual(HOUR);
			expect(middle - earliest).toBeGreaterThanOrEqual(HOUR);

			const at = async (range: { from?: Date; to?: Date }) =>
				(await caller.audit.list({ ...query, ...range })).entries.map((e) => e.createdAt.getTime());
			expect(await at({ from: new Date(middle), to: new Date(latest) })).toEqual([middle]);
			expect(await at({ from: new Date(middle) })).toEqual([latest, middle]);
			expect(await at({ to: new Date(middle) })).toEqual([earliest]);
			expect(await at({ from: new Date(latest + 1) })).toEqual([]);
		});

		it('pages in a stable order with the total of all matches', async () => {
			const { token } = await asNewAdmin();
			const user = await seedUser(api.db);
			const caller = await callerFor(token);
			for (let i = 0; i < 12; i++) await caller.users.unlock({ id: user.id });

			const query = { userId: user.id, event: 'account.unlocked', pageSize: 10 } as const;
			const first = await caller.audit.list({ ...query, page: 1 });
			const second = await caller.audit.list({ ...query, page: 2 });
			const whole = await caller.audit.list({ ...query, pageSize: 100 });
			expect([first.total, second.total, whole.total]).toEqual([12, 12, 12]);
			expect(first.entries).toHaveLength(10);
			expect([...first.entries, ...second.entries].map((e) => e.id)).toEqual(
				whole.entries.map((e) => e.id)
			);
			const times = whole.entries.map((e) => e.createdAt.getTime());
			expect(times).toEqual([...times].sort((a, b) => b - a));
		});

		it('lists the kinds of events', async () => {
			const { token } = await asNewAdmin();
			expect(await (await callerFor(token)).audit.events()).toEqual(AUDIT_EVENTS);
		});
	});

	describe('the dashboard counts users, live sessions, and failures and lockouts in 24 h', () => {
		it('counts users, verified sessions, failed sign-ins and lockouts', async () => {
			const { token } = await asNewAdmin();
			const dashboard = async () => (await callerFor(token)).audit.dashboard();
			const before = await dashboard();
			expect(before.users).toBe(await countUsers(testDeps(api.db)));

			const user = await seedUser(api.db);
			await signIn(user);
			const failing = (await callerFor(null, { ip: '198.51.100.20' })).auth.login({
				username: user.username,
				password: 'not the password'
			});
			expect((await errorOf(failing)).code).toBe('UNAUTHORIZED');
			// A failure from yesterday stays out of the 24 hours.
			await recordAudit(api.db, { event: 'login.failed' }, Date.now() - DAY - HOUR);

			const locked = await seedUser(api.db);
			await api.db
				.updateTable('users')
				.set({ otp_failures: policy.otp.lockAfterFailures - 1 })
				.where('id', '=', locked.id)
				.execute();
			const { pending } = await startSignIn(locked);
			await errorOf((await callerFor(pending)).auth.verifyOtp({ code: 'abcd-efgh-ijkl-mnop' }));

			const after = await dashboard();
			expect(after.users - before.users).toBe(2);
			expect(after.activeSessions - before.activeSessions).toBe(1);
			expect(after.failedSignIns24h - before.failedSignIns24h).toBe(1);
			expect(after.lockouts24h - before.lockouts24h).toBe(1);
			const verified = await api.db
				.selectFrom('sessions')
				.select('id')
				.where('state', '=', 'verified')
				.where('expires_at', '>', Date.now())
				.execute();
			expect(after.activeSessions).toBe(verified.length);
		});

		it('has 14 UTC day buckets ending today that count today’s sign-ins and failures', async () => {
			const { token } = await asNewAdmin();
			const dashboard = async () => (await callerFor(token)).audit.dashboard();
			const before = await dashboard();

			const user = await seedUser(api.db);
			const { pending, code } = await startSignIn(user);
			const caller = await callerFor(pending);
			await errorOf(caller.auth.verifyOtp({ code: code === '000000' ? '111111' : '000000' }));
			await caller.auth.verifyOtp({ code });

			const after = await dashboard();
			expect(after.perDay).toHaveLength(14);
			expect(after.perDay.at(-1)!.day).toBe(new Date().toISOString().slice(0, 10));
			after.perDay.forEach((bucket, i) => {
				if (i > 0) expect(Date.parse(bucket.day) - Date.parse(after.perDay[i - 1]!.day)).toBe(DAY);
			});
			expect(after.perDay.at(-1)!.signIns - before.perDay.at(-1)!.signIns).toBe(1);
			expect(after.perDay.at(-1)!.failures - before.perDay.at(-1)!.failures).toBe(1);
		});

		it('does not count a step-up as a sign-in', async () => {
			const { admin, token } = await asNewAdmin();
			const caller = await callerFor(token);
			const before = await caller.audit.dashboard();
			await caller.auth.stepUp.request();
			await caller.auth.stepUp.verify({ code: (await waitForCode(api.sink, admin.email!)).code });
			const after = await caller.audit.dashboard();
			expect(after.perDay.at(-1)!.signIns).toBe(before.perDay.at(-1)!.signIns);
		});
	});
});
