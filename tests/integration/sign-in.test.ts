// The two-step sign-in through the server-side caller, on each dialect, with codes delivered by
// a real SMTP server on loopback. One `describe` per rule.
import type { TRPCError } from '@trpc/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { getPolicy } from '$lib/server/auth/policy';
import { validateSessionToken } from '$lib/server/auth/session';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import { createMailer, type Mailer } from '$lib/server/mail';
import { TooManyRequestsError } from '$lib/server/errors';
import { createUser } from '$lib/server/services/users';
import { appRouter } from '$lib/server/trpc/router';
import { useApiHarness, advanceClock, codeRequired, errorOf } from '../helpers/api-harness';
import { dialects } from '../../tools/databases';
import { unusedPort } from '../../tools/smtp-sink';
import { testDeps } from '../../tools/service-deps';

const policy = getPolicy();
const PASSWORD = 'correct horse battery staple';
let counter = 0;

describe.each(dialects)('sign-in on %s', (dialect) => {
	const api = useApiHarness(dialect);
	const { callerFor } = api;

	async function newUser(options: { email?: string | null } = {}) {
		const username = `user${++counter}`;
		const email = options.email === undefined ? `${username}@example.com` : options.email;
		const id = await createUser(testDeps(api.db), {
			username,
			email,
			password: PASSWORD,
			role: 'member'
		});
		return { id, username, email };
	}

	async function login(username: string, ip?: string) {
		const result = codeRequired(
			await (
				await callerFor(null, { ip })
			).auth.login({
				username,
				password: PASSWORD,
				tokenType: 'bearer'
			})
		);
		return { ...result, token: result.sessionToken! };
	}

	async function codeFor(email: string): Promise<string> {
		const mail = await api.sink.waitForMessage((m) => m.envelopeTo.includes(email));
		const code = /^\s*(\d{6})\s*$/m.exec(mail.text)?.[1];
		if (!code) throw new Error(`no code in: ${mail.text}`);
		return code;
	}

	async function verify(token: string, code: string) {
		return (await callerFor(token)).auth.verifyOtp({ code });
	}

	async function failuresOf(userId: string) {
		return api.db
			.selectFrom('users')
			.select(['otp_failures', 'otp_blocked_until', 'locked_at'])
			.where('id', '=', userId)
			.executeTakeFirstOrThrow();
	}

	describe('the whole flow', () => {
		it('password, emailed code, then a new verified session', async () => {
			const user = await newUser();
			const pending = await login(user.username);
			expect(pending).toMatchObject({
				status: 'otp_required',
				methods: ['email'],
				codeSent: true,
				email: expect.stringMatching(/^u\*+\d@example\.com$/)
			});
			expect((await (await callerFor(pending.token)).auth.me())?.session.state).toBe('pending_otp');

			const mail = await api.sink.waitForMessage((m) => m.envelopeTo.includes(user.email!));
			expect(mail.envelopeTo).toEqual([user.email]);
			const code = /^\s*(\d{6})\s*$/m.exec(mail.text)![1]!;

			const verified = await verify(pending.token, code);
			expect(verified.status).toBe('verified');
			expect(verified.sessionToken).not.toBe(pending.token);
			expect(verified.user).toEqual({
				id: user.id,
				username: user.username,
				email: user.email,
				role: 'member'
			});
			const me = await (await callerFor(verified.sessionToken!)).auth.me();
			expect(me?.session.state).toBe('verified');
			expect(await (await callerFor(verified.sessionToken!)).account.sessions()).toMatchObject({
				sessions: [{ current: true }],
				total: 1
			});
		});

		it('stores only hashes of session ids, never the token', async () => {
			const user = await newUser();
			const pending = await login(user.username);
			const verified = await verify(pending.token, await codeFor(user.email!));
			const rows = await api.db.selectFrom('sessions').selectAll().execute();
			const dump = JSON.stringify(rows);
			expect(dump).not.toContain(pending.token);
			expect(dump).not.toContain(verified.sessionToken);
			expect(rows.every((row) => /^[0-9a-f]{64}$/.test(row.id))).toBe(true);
		});

		it('accepts a backup token instead of the code, once, and sends a notice', async () => {
			const user = await newUser();
			const [token] = await insertBackupTokens(api.db, user.id, 1);
			const first = await login(user.username);
			expect(first.methods).toEqual(['email', 'backup_token']);
			await codeFor(user.email!);
			await verify(first.token, token!.toUpperCase());
			const notice = await api.sink.waitForMessage((m) => m.envelopeTo.includes(user.email!));
			expect(notice.subject).toMatch(/backup token was used/);

			const second = await login(user.username);
			await codeFor(user.email!);
			expect((await errorOf(verify(second.token, token!))).code).toBe('UNAUTHORIZED');
		});

		it('lets a user without an email finish with a backup token', async () => {
			const user = await newUser({ email: null });
			const [token] = await insertBackupTokens(api.db, user.id, 1);
			const pending = await login(user.username);
			expect(pending).toMatchObject({ methods: ['backup_token'], codeSent: false, email: null });
			expect((await verify(pending.token, token!)).status).toBe('verified');
		});
	});

	describe('a pending session', () => {
		// Public by design, or the second step itself; every other procedure must refuse.
		const ALLOWED = new Set([
			'health',
			'auth.login',
			'auth.me',
			'auth.logout',
			'auth.resendOtp',
			'auth.verifyOtp',
			'auth.webauthn.options',
			'auth.webauthn.verify',
			'setup.status',
			'setup.complete',
			'dev.outbox',
			// "Forgot password" is for anyone: a reset link, not a session, decides.
			'auth.forgotPassword',
			'auth.passwordReset.describe',
			'auth.passwordReset.sendCode',
			'auth.passwordReset.securityKeyOptions',
			'auth.passwordReset.complete',
			'auth.passwordReset.completeWithSecurityKey',
			// So is a mailed email-change link: the link proves the address.
			'emailChange.check',
			'emailChange.confirm',
			'emailChange.report',
			// And an invitation: the link, not a session, decides.
			'invitations.status',
			'invitations.accept'
		]);
		const guarded = Object.keys(appRouter._def.procedures).filter((path) => !ALLOWED.has(path));

		it('has procedures to check', () => {
			expect(guarded.length).toBeGreaterThan(0);
		});

		it.each(guarded)('is refused by %s', async (path) => {
			const user = await newUser();
			const pending = await login(user.username);
			await codeFor(user.email!);
			const caller = await callerFor(pending.token);
			const procedure = path
				.split('.')
				.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller) as (
				input?: unknown
			) => Promise<unknown>;
			expect((await errorOf(procedure({}))).code).toBe('UNAUTHORIZED');
		});

		it('dies 10 minutes after creation', async () => {
			const user = await newUser();
			const pending = await login(user.username);
			const code = await codeFor(user.email!);
			advanceClock(policy.session.pendingLifetimeMs + 1000);
			expect(await validateSessionToken(api.db, pending.token, policy.session)).toBeNull();
			expect((await errorOf(verify(pending.token, code))).code).toBe('UNAUTHORIZED');
		});
	});

	describe('promotion', () => {
		it('kills the pending id: it cannot be replayed or verified again', async () => {
			const user = await newUser();
			const pending = await login(user.username);
			const code = await codeFor(user.email!);
			await verify(pending.token, code);
			expect(await validateSessionToken(api.db, pending.token, policy.session)).toBeNull();
			expect((await errorOf(verify(pending.token, code))).code).toBe('UNAUTHORIZED');
		});

		it('yields exactly one verified session for 50 concurrent correct codes', async () => {
			const user = await newUser();
			const pending = await login(user.username);
			const code = await codeFor(user.email!);
			const caller = await callerFor(pending.token);
			const results = await Promise.allSettled(
				Array.from({ length: 50 }, () => caller.auth.verifyOtp({ code }))
			);
			expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
			const sessions = await api.db
				.selectFrom('sessions')
				.select('state')
				.where('user_id', '=', user.id)
				.execute();
			expect(sessions).toEqual([{ state: 'verified' }]);
		});

		it('accepts one backup token exactly once for 20 concurrent uses from two sessions', async () => {
			const user = await newUser();
			const [token] = await insertBackupTokens(api.db, user.id, 1);
			const a = await login(user.username);
			const b = await login(user.username);
			const callers = [await callerFor(a.token), await callerFor(b.token)];
			const results = await Promise.allSettled(
				Array.from({ length: 20 }, (_, i) => callers[i % 2]!.auth.verifyOtp({ code: token! }))
			);
			expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
			const left = await api.db
				.selectFrom('backup_tokens')
				.select('id')
				.where('user_id', '=', user.id)
				.execute();
			expect(left).toEqual([]);
		});
	});

	describe('the emailed code', () => {
		it('dies when a resend replaces it', async () => {
			const user = await newUser();
			const pending = await login(user.username);
			const oldCode = await codeFor(user.email!);
			advanceClock(policy.otp.resendCooldownMs);
			await (await callerFor(pending.token)).auth.resendOtp();
			const newCode = await codeFor(user.email!);
			if (oldCode !== newCode) {
				expect((await errorOf(verify(pending.token, oldCode))).code).toBe('UNAUTHORIZED');
			}
			expect((await verify(pending.token, newCode)).status).toBe('verified');
		});

		it('cannot be resent during the cooldown', async () => {
			const user = await newUser();
			const pending = await login(user.username);
			await codeFor(user.email!);
			const error = await errorOf((await callerFor(pending.token)).auth.resendOtp());
			expect(error.code).toBe('TOO_MANY_REQUESTS');
			expect(error.message).toMatch(/Try again in \d+ seconds/);
		});

		it('is burned by 5 wrong tries', async () => {
			const user = await newUser();
			const pending = await login(user.username);
			const code = await codeFor(user.email!);
			const wrong = code === '000000' ? '111111' : '000000';
			for (let i = 0; i < policy.otp.maxAttemptsPerCode; i++) {
				expect((await errorOf(verify(pending.token, wrong))).code).toBe('UNAUTHORIZED');
			}
			advanceClock(policy.otp.maxBackoffMs); // past the account's backoff
			expect((await errorOf(verify(pending.token, code))).code).toBe('UNAUTHORIZED');
		});

		it('expires after OTP_TTL_SECONDS', async () => {
			const user = await newUser();
			const pending = await login(user.username);
			const code = await codeFor(user.email!);
			advanceClock(policy.otp.ttlMs + 1000);
			expect((await errorOf(verify(pending.token, code))).code).toBe('UNAUTHORIZED');
		});
	});

	describe('the account failure budget', () => {
		it('is not reset by a resend or a new password login', async () => {
			const user = await newUser();
			const first = await login(user.username);
			await codeFor(user.email!);
			for (let i = 0; i < 3; i++) await errorOf(verify(first.token, '999999'));
			advanceClock(policy.otp.resendCooldownMs);
			await (await callerFor(first.token)).auth.resendOtp();
			await codeFor(user.email!);
			expect((await failuresOf(user.id)).otp_failures).toBe(3);

			const second = await login(user.username);
			await codeFor(user.email!);
			expect((await failuresOf(user.id)).otp_failures).toBe(3);
			await errorOf(verify(second.token, '999999'));
			await errorOf(verify(second.token, '999999'));
			const throttled = await errorOf(verify(second.token, '999999'));
			expect(throttled.code).toBe('TOO_MANY_REQUESTS');
			expect((await failuresOf(user.id)).otp_failures).toBe(5);
		});

		it('makes each try after 5 failures wait, longer each time', async () => {
			const user = await newUser();
			const pending = await login(user.username);
			await codeFor(user.email!);
			for (let i = 0; i < 5; i++) await errorOf(verify(pending.token, '999999'));
			const first = await errorOf(verify(pending.token, '999999'));
			expect(first.code).toBe('TOO_MANY_REQUESTS');
			expect((first.cause as TooManyRequestsError).retryAfterSeconds).toBe(1);
			advanceClock(1000);
			expect((await errorOf(verify(pending.token, '999999'))).code).toBe('UNAUTHORIZED');
			const second = await errorOf(verify(pending.token, '999999'));
			expect((second.cause as TooManyRequestsError).retryAfterSeconds).toBe(2);
		});

		it('stops exactly at the limit under concurrent wrong guesses', async () => {
			const user = await newUser();
			const pending = await login(user.username);
			await codeFor(user.email!);
			const caller = await callerFor(pending.token);
			const results = await Promise.allSettled(
				Array.from({ length: 30 }, () => caller.auth.verifyOtp({ code: '999999' }))
			);
			const codes = results.map((r) =>
				r.status === 'rejected' ? (r.reason as TRPCError).code : 'OK'
			);
			expect(codes.filter((c) => c === 'UNAUTHORIZED')).toHaveLength(5);
			expect(codes.filter((c) => c === 'TOO_MANY_REQUESTS')).toHaveLength(25);
			expect((await failuresOf(user.id)).otp_failures).toBe(5);
		});

		it('locks the account at 100 failures until an admin unlocks it', async () => {
			const user = await newUser();
			const pending = await login(user.username);
			const code = await codeFor(user.email!);
			await api.db
				.updateTable('users')
				.set({ otp_failures: 99 })
				.where('id', '=', user.id)
				.execute();
			expect((await errorOf(verify(pending.token, '999999'))).code).toBe('UNAUTHORIZED');
			expect((await failuresOf(user.id)).locked_at).not.toBeNull();
			const notice = await api.sink.waitForMessage((m) => m.envelopeTo.includes(user.email!));
			expect(notice.subject).toMatch(/locked/i);

			// Even the right code: locked beats everything, and says so.
			const refused = await errorOf(verify(pending.token, code));
			expect(refused.code).toBe('FORBIDDEN');
			expect(refused.message).toMatch(/administrator/);
			const audit = await api.db
				.selectFrom('audit_log')
				.select('event')
				.where('subject_id', '=', user.id)
				.where('event', '=', 'account.locked')
				.execute();
			expect(audit).toHaveLength(1);
		});

		it('is cleared by a verified code', async () => {
			const user = await newUser();
			const pending = await login(user.username);
			const code = await codeFor(user.email!);
			await errorOf(verify(pending.token, code === '123456' ? '654321' : '123456'));
			await verify(pending.token, code);
			expect((await failuresOf(user.id)).otp_failures).toBe(0);
		});
	});

	describe('the password step', () => {
		it('answers the same for an unknown user, a wrong password and a locked account', async () => {
			const locked = await newUser();
			await api.db
				.updateTable('users')
				.set({ locked_at: Date.now() })
				.where('id', '=', locked.id)
				.execute();
			const inactive = await newUser();
			await api.db
				.updateTable('users')
				.set({ is_active: 0 })
				.where('id', '=', inactive.id)
				.execute();
			const known = await newUser();
			const caller = await callerFor(null, { ip: '198.51.100.1' });
			const attempts = [
				caller.auth.login({ username: 'nobody-here', password: PASSWORD }),
				caller.auth.login({ username: known.username, password: 'wrong password' }),
				caller.auth.login({ username: locked.username, password: PASSWORD }),
				caller.auth.login({ username: inactive.username, password: PASSWORD })
			];
			const errors = await Promise.all(attempts.map(errorOf));
			expect(new Set(errors.map((e) => `${e.code} ${e.message}`))).toEqual(
				new Set(['UNAUTHORIZED Wrong username or password'])
			);
		});

		it('accepts the email address as the login name', async () => {
			const user = await newUser();
			expect((await login(user.email!.toUpperCase())).status).toBe('otp_required');
			await codeFor(user.email!);
		});

		it('rejects a password over 256 characters before hashing it', async () => {
			const error = await errorOf(
				(await callerFor(null)).auth.login({ username: 'x', password: 'a'.repeat(257) })
			);
			expect(error.code).toBe('BAD_REQUEST');
		});

		it('limits failures per name and address, whatever the password', async () => {
			const user = await newUser();
			const caller = await callerFor(null, { ip: '2001:db8:1:2::10' });
			for (let i = 0; i < policy.login.perUsernameAndAddress; i++) {
				await errorOf(caller.auth.login({ username: user.username, password: 'wrong password' }));
			}
			// Right password now, and another address in the same IPv6 /64: still limited.
			const rotated = await callerFor(null, { ip: '2001:db8:1:2:ffff::1' });
			const error = await errorOf(
				rotated.auth.login({ username: user.username, password: PASSWORD })
			);
			expect(error.code).toBe('TOO_MANY_REQUESTS');
			// Another network is not limited by this user's failures elsewhere.
			expect((await login(user.username, '192.0.2.44')).status).toBe('otp_required');
			await codeFor(user.email!);
		});
	});

	describe('sessions', () => {
		it('end at logout', async () => {
			const user = await newUser();
			const pending = await login(user.username);
			const verified = await verify(pending.token, await codeFor(user.email!));
			await (await callerFor(verified.sessionToken!)).auth.logout();
			expect(await validateSessionToken(api.db, verified.sessionToken!, policy.session)).toBeNull();
		});

		it('expire after the idle timeout and after the absolute lifetime', async () => {
			const user = await newUser();
			const pending = await login(user.username);
			const verified = await verify(pending.token, await codeFor(user.email!));
			const token = verified.sessionToken!;

			// Active every few hours: renewed, until the absolute lifetime ends it.
			const step = policy.session.idleTimeoutMs * 0.6;
			let elapsed = 0;
			while (elapsed + step < policy.session.maxLifetimeMs) {
				advanceClock(step);
				elapsed += step;
				expect(await validateSessionToken(api.db, token, policy.session)).not.toBeNull();
			}
			advanceClock(policy.session.maxLifetimeMs - elapsed + 1000);
			expect(await validateSessionToken(api.db, token, policy.session)).toBeNull();

			const other = await login(user.username);
			const idle = await verify(other.token, await codeFor(user.email!));
			advanceClock(policy.session.idleTimeoutMs + 1000);
			expect(await validateSessionToken(api.db, idle.sessionToken!, policy.session)).toBeNull();
		});
	});

	describe('mail failures', () => {
		let refusing: Mailer;
		beforeEach(async () => {
			refusing = createMailer({
				transport: 'smtp',
				smtpUrl: `smtp://127.0.0.1:${await unusedPort()}`,
				from: 'Admin <admin@example.com>',
				db: api.db
			});
		});
		afterEach(() => refusing.close());

		it('leave the session pending with a clear answer, and a resend can follow', async () => {
			const user = await newUser();
			const started = Date.now();
			const pending = await (
				await callerFor(null, { ip: '192.0.2.9', mailer: refusing })
			).auth.login({
				username: user.username,
				password: PASSWORD,
				tokenType: 'bearer'
			});
			expect(Date.now() - started).toBeLessThan(11_000);
			expect(pending).toMatchObject({ status: 'otp_required', codeSent: false });
			const token = codeRequired(pending).sessionToken!;
			expect((await (await callerFor(token)).auth.me())?.session.state).toBe('pending_otp');

			advanceClock(policy.otp.resendCooldownMs);
			const error = await errorOf(
				(await callerFor(token, { ip: '192.0.2.9', mailer: refusing })).auth.resendOtp()
			);
			expect(error.message).toBe('The code could not be sent. Try “Send a new code” in a minute');

			advanceClock(policy.otp.resendCooldownMs);
			await (await callerFor(token)).auth.resendOtp();
			expect((await verify(token, await codeFor(user.email!))).status).toBe('verified');
		});
	});

	describe('logs', () => {
		it('never contain a code, a password or a session token', async () => {
			const lines: string[] = [];
			const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
				vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
					lines.push(args.map(String).join(' '));
				})
			);
			try {
				const user = await newUser();
				const pending = await login(user.username);
				const code = await codeFor(user.email!);
				await errorOf(verify(pending.token, '999999'));
				const verified = await verify(pending.token, code);
				const text = lines.join('\n');
				for (const secret of [code, PASSWORD, pending.token, verified.sessionToken!]) {
					expect(text).not.toContain(secret);
				}
			} finally {
				for (const spy of spies) spy.mockRestore();
			}
		});
	});
});
