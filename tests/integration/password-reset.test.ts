// "Forgot password" through the procedures (server-side callers, mail over real SMTP on
// loopback): the link, the second factor that is not the mailbox, the new password and what it
// ends; an administrator's link with step-up. The attacks are in tests/security/password-reset.
import { describe, expect, it, vi } from 'vitest';
import { rememberDevice } from '$lib/server/auth/remembered-devices';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import { advanceClock, errorOf, useApiHarness } from '../helpers/api-harness';
import { RESET_DONE_SUBJECT, waitForResetLink } from '../helpers/password-reset';
import { registerKey, TEST_ORIGIN } from '../helpers/security-keys';
import { enrolTotp, totpCode, STEP_MS } from '../helpers/totp';
import { dialects } from '../../tools/databases';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

vi.hoisted(() => {
	process.env.ORIGIN = 'https://admin.example.test';
});

const NEW_PASSWORD = 'a brand new long password';
const DAY = 24 * 60 * 60_000;

describe.each(dialects)('password reset (%s)', (dialect) => {
	const api = useApiHarness(dialect);

	async function askForLink(user: SeededUser, login = user.username) {
		const anonymous = await api.callerFor(null);
		expect(await anonymous.auth.forgotPassword({ login })).toEqual({ ok: true });
		return waitForResetLink(api.sink, user.email!);
	}

	const auditOf = (userId: string, event: string) =>
		api.db
			.selectFrom('audit_log')
			.select(['event', 'actor_id', 'details'])
			.where('subject_id', '=', userId)
			.where('event', '=', event)
			.execute();

	describe('an account whose one factor is email', () => {
		it('link, emailed code, new password: every session and remembered device ends, the owner is told, the new password signs in', async () => {
			const user = await seedUser(api.db);
			const session = await api.signIn(user);
			await rememberDevice(
				api.db,
				{ userId: user.id, ip: '203.0.113.7', userAgent: 'vitest' },
				30 * DAY,
				Date.now()
			);
			const { url, token, mail } = await askForLink(user, user.email!);
			expect(url).toBe(`${TEST_ORIGIN}/login/reset/${token}`);
			expect(mail.html).toContain(`<a href="${url}">`);

			const anonymous = await api.callerFor(null);
			const info = await anonymous.auth.passwordReset.describe({ token });
			expect(info).toEqual({
				methods: ['email'],
				email: expect.stringMatching(/\*/),
				expiresAt: expect.any(Date)
			});
			expect(info.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(30 * 60_000);
			await anonymous.auth.passwordReset.sendCode({ token });
			const { code } = await waitForCode(api.sink, user.email!);
			await anonymous.auth.passwordReset.complete({ token, password: NEW_PASSWORD, code });

			expect(await api.isValid(session)).toBe(false);
			const left = await api.db
				.selectFrom('remembered_devices')
				.select('id')
				.where('user_id', '=', user.id)
				.execute();
			expect(left).toEqual([]);
			const sessions = await api.db
				.selectFrom('sessions')
				.select('id')
				.where('user_id', '=', user.id)
				.execute();
			expect(sessions).toEqual([]);
			const notice = await api.sink.waitForMessage(
				(m) => m.subject === RESET_DONE_SUBJECT && m.envelopeTo.includes(user.email!)
			);
			expect(notice.text).toContain('signed out');
			expect(await auditOf(user.id, 'password.reset')).toEqual([
				{ event: 'password.reset', actor_id: user.id, details: 'factor=email' }
			]);

			// The link is spent, the old password gone, the new one signs in.
			expect((await errorOf(anonymous.auth.passwordReset.describe({ token }))).code).toBe(
				'NOT_FOUND'
			);
			expect((await errorOf(api.login(user))).code).toBe('UNAUTHORIZED');
			expect(await api.signIn({ ...user, password: NEW_PASSWORD })).toMatch(/^[a-z2-7]{40}$/);
		});
	});

	describe('an account with an authenticator app', () => {
		it('must confirm with the app or a backup token, not an emailed code', async () => {
			const user = await seedUser(api.db);
			const { secret } = await enrolTotp(await api.callerFor(await api.signIn(user)));
			const [backup] = await insertBackupTokens(api.db, user.id, 1);
			const { token } = await askForLink(user);
			const anonymous = await api.callerFor(null);

			const info = await anonymous.auth.passwordReset.describe({ token });
			expect(info.methods).toEqual(['totp', 'backup_token']);
			expect(info.email).toBeNull();
			const sending = await errorOf(anonymous.auth.passwordReset.sendCode({ token }));
			expect(sending.code).toBe('FORBIDDEN');
			expect(sending.message).toContain('an authenticator app or a backup token');
			const byEmail = await errorOf(
				anonymous.auth.passwordReset.complete({
					token,
					password: NEW_PASSWORD,
					code: '123456',
					method: 'email'
				})
			);
			expect(byEmail.code).toBe('FORBIDDEN');

			// The next step's code: the enrolment spent the current one.
			advanceClock(STEP_MS);
			await anonymous.auth.passwordReset.complete({
				token,
				password: NEW_PASSWORD,
				code: totpCode(secret),
				method: 'totp'
			});
			expect(await auditOf(user.id, 'password.reset')).toEqual([
				{ event: 'password.reset', actor_id: user.id, details: 'factor=totp' }
			]);

			// A second reset with the backup token.
			vi.useRealTimers();
			const second = await askForLink({ ...user, password: NEW_PASSWORD });
			await anonymous.auth.passwordReset.complete({
				token: second.token,
				password: `${NEW_PASSWORD} 2`,
				code: backup!,
				method: 'backup_token'
			});
			// The password step passes (the authenticator's step follows).
			expect((await api.login({ ...user, password: `${NEW_PASSWORD} 2` })).methods).toContain(
				'totp'
			);
		});
	});

	describe('an account with a security key', () => {
		it('confirms with the key: a challenge bound to the link, then the answer with the password', async () => {
			const user = await seedUser(api.db);
			const { key } = await registerKey(await api.callerFor(await api.signIn(user)));
			const { token } = await askForLink(user);
			const anonymous = await api.callerFor(null);
			expect((await anonymous.auth.passwordReset.describe({ token })).methods).toEqual([
				'webauthn'
			]);
			const options = await anonymous.auth.passwordReset.securityKeyOptions({ token });
			await anonymous.auth.passwordReset.completeWithSecurityKey({
				token,
				password: NEW_PASSWORD,
				response: key.assert(options)
			});
			expect(await auditOf(user.id, 'password.reset')).toEqual([
				{ event: 'password.reset', actor_id: user.id, details: 'factor=webauthn' }
			]);
		});
	});

	describe('an administrator sends a link', () => {
		it('needs a fresh code and a person, mails the link saying so, and audits it', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(admin));

			const result = await caller.users.sendPasswordReset({ id: user.id });
			expect(result.expiresAt).toBeInstanceOf(Date);
			const { mail, token } = await waitForResetLink(api.sink, user.email!);
			expect(mail.text).toContain('An administrator sent you this link');
			expect(await auditOf(user.id, 'password.reset_requested')).toEqual([
				{
					event: 'password.reset_requested',
					actor_id: admin.id,
					details: 'link sent by an administrator'
				}
			]);
			const link = await api.db
				.selectFrom('account_links')
				.select(['created_by', 'purpose'])
				.where('user_id', '=', user.id)
				.executeTakeFirstOrThrow();
			expect(link).toEqual({ created_by: admin.id, purpose: 'reset' });
			expect(
				(await (await api.callerFor(null)).auth.passwordReset.describe({ token })).methods
			).toEqual(['email']);

			advanceClock(11 * 60_000);
			const stale = await errorOf(caller.users.sendPasswordReset({ id: user.id }));
			expect(stale.code).toBe('FORBIDDEN');
			expect(stale.message).toBe('Confirm with a fresh code first');
		});

		it('a member may not send one, not even for themself', async () => {
			const member = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(member));
			expect((await errorOf(caller.users.sendPasswordReset({ id: member.id }))).code).toBe(
				'FORBIDDEN'
			);
		});
	});
});
