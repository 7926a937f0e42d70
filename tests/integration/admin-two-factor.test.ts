// The second factor as users and admins manage it: a separate address for codes (used only once
// a code sent to it came back) and backup tokens (shown once, each good for one sign-in).
// Server-side callers on each dialect, codes from a real SMTP sink.
import { describe, expect, it } from 'vitest';
import { getPolicy } from '$lib/server/auth/policy';
import { useApiHarness, errorOf } from '../helpers/api-harness';
import { dialects } from '../../tools/databases';
import {
	OTP_SUBJECT,
	extractCode,
	seedUser,
	waitForAddressCode,
	type SeededUser
} from '../../tools/sign-in';

const policy = getPolicy();

function wrongCodeFor(code: string): string {
	return code === '000000' ? '111111' : '000000';
}

describe.each(dialects)('admin API second factor on %s', (dialect) => {
	const api = useApiHarness(dialect);
	const { callerFor, login } = api;

	/**
	 * The password step: the pending token, and the code with the address it went to (every
	 * address in this file contains its user's name).
	 */
	async function startSignIn(user: SeededUser) {
		const started = await login(user);
		expect(started.codeSent).toBe(true);
		const mail = await api.sink.waitForMessage(
			(m) => m.subject === OTP_SUBJECT && m.envelopeTo.some((to) => to.includes(user.username))
		);
		expect(mail.envelopeTo).toHaveLength(1);
		return { pending: started.sessionToken!, sentTo: mail.envelopeTo[0]!, code: extractCode(mail) };
	}

	/** Both steps with the emailed code; returns the verified token. */
	async function signIn(user: SeededUser): Promise<string> {
		const { pending, code } = await startSignIn(user);
		return (await verify(pending, code)).sessionToken!;
	}

	async function verify(pending: string, code: string) {
		return (await callerFor(pending)).auth.verifyOtp({ code });
	}

	describe('a new two-factor address is used only once a code sent to it comes back', () => {
		it('requestEmail mails the new address only; sign-in codes still go to the old one', async () => {
			const user = await seedUser(api.db);
			const caller = await callerFor(await signIn(user));
			const next = `second-${user.username}@example.org`;
			const mark = api.sink.messages.length;

			await caller.twoFactor.requestEmail({ email: next.toUpperCase() });
			const { mail } = await waitForAddressCode(api.sink, next);
			expect(mail.envelopeTo).toEqual([next]);
			expect(api.sink.messages.slice(mark).map((m) => m.envelopeTo)).toEqual([[next]]);
			expect(await caller.users.get({ id: user.id })).toMatchObject({
				otpEmail: null,
				pendingOtpEmail: next
			});

			expect((await startSignIn(user)).sentTo).toBe(user.email);
		});

		it('confirmEmail answers a wrong code with UNAUTHORIZED; five wrong tries burn the code', async () => {
			const user = await seedUser(api.db);
			const caller = await callerFor(await signIn(user));
			const next = `second-${user.username}@example.org`;
			await caller.twoFactor.requestEmail({ email: next });
			const { code } = await waitForAddressCode(api.sink, next);

			for (let i = 0; i < policy.otp.maxAttemptsPerCode; i++) {
				const wrong = await errorOf(caller.twoFactor.confirmEmail({ code: wrongCodeFor(code) }));
				expect(wrong.code).toBe('UNAUTHORIZED');
			}
			expect((await errorOf(caller.twoFactor.confirmEmail({ code }))).code).toBe('UNAUTHORIZED');
			expect((await caller.users.get({ id: user.id })).otpEmail).toBeNull();
			expect((await startSignIn(user)).sentTo).toBe(user.email);
		});

		it('once confirmed, codes go to the new address; clearEmail sends them to the account email', async () => {
			const user = await seedUser(api.db);
			const caller = await callerFor(await signIn(user));
			const next = `second-${user.username}@example.org`;
			await caller.twoFactor.requestEmail({ email: next });
			const { code } = await waitForAddressCode(api.sink, next);

			const wrong = await errorOf(caller.twoFactor.confirmEmail({ code: wrongCodeFor(code) }));
			expect(wrong.code).toBe('UNAUTHORIZED');
			expect(await caller.twoFactor.confirmEmail({ code })).toEqual({ email: next });
			expect(await caller.users.get({ id: user.id })).toMatchObject({
				otpEmail: next,
				pendingOtpEmail: null,
				emailConfirmed: true
			});
			const moved = await startSignIn(user);
			expect(moved.sentTo).toBe(next);
			expect((await verify(moved.pending, moved.code)).status).toBe('verified');

			await caller.twoFactor.clearEmail();
			expect((await caller.users.get({ id: user.id })).otpEmail).toBeNull();
			expect((await startSignIn(user)).sentTo).toBe(user.email);
		});

		it('an admin (stepped up) starts a change for a user, who confirms it', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const adminCaller = await callerFor(await signIn(admin));
			const user = await seedUser(api.db);
			const userCaller = await callerFor(await signIn(user));
			const next = `given-${user.username}@example.org`;

			await adminCaller.twoFactor.requestEmailFor({ userId: user.id, email: next });
			const { mail, code } = await waitForAddressCode(api.sink, next);
			expect(mail.envelopeTo).toEqual([next]);
			expect(await adminCaller.users.get({ id: user.id })).toMatchObject({
				otpEmail: null,
				pendingOtpEmail: next
			});

			await userCaller.twoFactor.confirmEmail({ code });
			expect(await adminCaller.users.get({ id: user.id })).toMatchObject({
				otpEmail: next,
				pendingOtpEmail: null
			});
			expect((await startSignIn(user)).sentTo).toBe(next);

			await adminCaller.twoFactor.clearEmailFor({ userId: user.id });
			expect((await adminCaller.users.get({ id: user.id })).otpEmail).toBeNull();
			expect((await startSignIn(user)).sentTo).toBe(user.email);
		});
	});

	describe('backup tokens are shown once and each signs in once', () => {
		const TOKEN_FORMAT = /^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/;

		it('generateMine returns them once; countMine and every later answer hold only counts', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const adminCaller = await callerFor(await signIn(admin));
			const user = await seedUser(api.db);
			const token = await signIn(user);
			const caller = await callerFor(token);

			const { tokens } = await caller.backupTokens.generateMine({ count: 3 });
			expect(tokens).toHaveLength(3);
			expect(new Set(tokens).size).toBe(3);
			for (const backup of tokens) expect(backup).toMatch(TOKEN_FORMAT);

			expect(await caller.backupTokens.countMine()).toEqual({ remaining: 3 });
			expect(await adminCaller.backupTokens.countFor({ userId: user.id })).toEqual({
				remaining: 3
			});
			expect((await caller.users.get({ id: user.id })).backupTokens).toBe(3);

			const later = JSON.stringify([
				await caller.backupTokens.countMine(),
				await caller.users.get({ id: user.id }),
				await caller.users.history({ id: user.id }),
				await caller.account.sessions(),
				await adminCaller.backupTokens.countFor({ userId: user.id }),
				await adminCaller.audit.list({ userId: user.id }),
				await adminCaller.users.list({ search: user.username })
			]).toLowerCase();
			for (const backup of tokens) {
				expect(later).not.toContain(backup);
				expect(later).not.toContain(backup.replaceAll('-', ''));
			}
		});

		it('each token signs in once', async () => {
			const user = await seedUser(api.db);
			const caller = await callerFor(await signIn(user));
			const [first, second] = (await caller.backupTokens.generateMine({ count: 2 })).tokens;

			const one = await startSignIn(user);
			expect((await verify(one.pending, first!.toUpperCase())).status).toBe('verified');
			const two = await startSignIn(user);
			expect((await errorOf(verify(two.pending, first!))).code).toBe('UNAUTHORIZED');
			expect((await verify(two.pending, second!)).status).toBe('verified');
			expect(await caller.backupTokens.countMine()).toEqual({ remaining: 0 });
		});

		it('revokeMine makes every token fail', async () => {
			const user = await seedUser(api.db);
			const caller = await callerFor(await signIn(user));
			const { tokens } = await caller.backupTokens.generateMine({ count: 2 });

			await caller.backupTokens.revokeMine();
			expect(await caller.backupTokens.countMine()).toEqual({ remaining: 0 });
			const { pending } = await startSignIn(user);
			for (const backup of tokens) {
				expect((await errorOf(verify(pending, backup))).code).toBe('UNAUTHORIZED');
			}
		});

		it('an admin mints them for a user (stepped up) and revokes them; every count agrees', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const adminCaller = await callerFor(await signIn(admin));
			const user = await seedUser(api.db);
			const caller = await callerFor(await signIn(user));

			const { tokens } = await adminCaller.backupTokens.generateFor({ userId: user.id, count: 2 });
			expect(await caller.backupTokens.countMine()).toEqual({ remaining: 2 });
			expect(await adminCaller.backupTokens.countFor({ userId: user.id })).toEqual({
				remaining: 2
			});
			expect((await adminCaller.users.get({ id: user.id })).backupTokens).toBe(2);
			const { pending } = await startSignIn(user);
			expect((await verify(pending, tokens[0]!)).status).toBe('verified');
			expect(await adminCaller.backupTokens.countFor({ userId: user.id })).toEqual({
				remaining: 1
			});

			await adminCaller.backupTokens.revokeFor({ userId: user.id });
			expect(await caller.backupTokens.countMine()).toEqual({ remaining: 0 });
			expect((await adminCaller.users.get({ id: user.id })).backupTokens).toBe(0);
		});
	});
});
