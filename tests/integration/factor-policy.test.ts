// FACTOR_POLICY through the procedures, on each dialect: a role that must have an authenticator
// app (or a security key) signs in with an emailed code while it has none, but that session is
// marked and can only set one up; setting one up lifts the mark; from then on email is neither
// offered nor accepted, a backup token still is. Attacks on the mark are in
// tests/security/factor-policy.test.ts.
import { describe, expect, it, vi } from 'vitest';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import { getPolicy, type AuthPolicy } from '$lib/server/auth/policy';
import { rememberDevice } from '$lib/server/auth/remembered-devices';
import type { FactorPolicy } from '$lib/server/config';
import { EnrolmentRequiredError, FactorNotAllowedError } from '$lib/server/errors';
import { codeRequired, errorOf, useApiHarness, type Caller } from '../helpers/api-harness';
import { BrowserCookies, browserCaller } from '../helpers/browser-caller';
import { failuresOf, registerKey } from '../helpers/security-keys';
import { enrolTotp, totpCode } from '../helpers/totp';
import { dialects } from '../../tools/databases';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

vi.hoisted(() => {
	// The software security key answers for this origin (tests/helpers/security-keys.ts).
	process.env.ORIGIN = 'https://admin.example.test';
});

const base = getPolicy();
const under = (factors: FactorPolicy): AuthPolicy => ({ ...base, factors });
const ADMIN_TOTP = under({ admin: ['totp'] });
const ADMIN_KEY = under({ admin: ['webauthn'] });

describe.each(dialects)('factor policy (%s)', (dialect) => {
	const api = useApiHarness(dialect, { auth: 'authenticate' });

	const callerUnder = (policy: AuthPolicy, token: string | null): Promise<Caller> =>
		api.callerFor(token, { policy });

	async function passwordStep(user: SeededUser, policy: AuthPolicy) {
		const caller = await callerUnder(policy, null);
		return codeRequired(
			await caller.auth.login({
				username: user.username,
				password: user.password,
				tokenType: 'bearer'
			})
		);
	}

	/** Password and emailed code under `policy`: the verified session's token and the answer. */
	async function signInByEmail(user: SeededUser, policy: AuthPolicy) {
		const started = await passwordStep(user, policy);
		const { code } = await waitForCode(api.sink, user.email!);
		const caller = await callerUnder(policy, started.sessionToken!);
		const answer = await caller.auth.verifyOtp({ code });
		return { token: answer.sessionToken!, answer, started };
	}

	/** The enrolment marks of the user's verified sessions. */
	async function marksOf(userId: string): Promise<number[]> {
		const rows = await api.db
			.selectFrom('sessions')
			.select('enrolment_required')
			.where('user_id', '=', userId)
			.where('state', '=', 'verified')
			.execute();
		return rows.map((row) => Number(row.enrolment_required));
	}

	/** An admin with an authenticator app, set up in a session no policy held back. */
	async function adminWithTotp(): Promise<{ admin: SeededUser; secret: string }> {
		const admin = await seedUser(api.db, { role: 'admin' });
		const { token } = await signInByEmail(admin, base);
		const { secret } = await enrolTotp(await callerUnder(base, token));
		return { admin, secret };
	}

	async function emailCodesOf(userId: string): Promise<number> {
		const rows = await api.db
			.selectFrom('email_otps')
			.select('session_id')
			.where('user_id', '=', userId)
			.execute();
		return rows.length;
	}

	describe('a role that requires a factor, before the person has one', () => {
		it('the password step says what is required; the emailed code signs in, and the session is marked', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const { answer, started, token } = await signInByEmail(admin, ADMIN_TOTP);
			expect(started.methods).toEqual(['email']);
			expect(started.factors).toEqual({ required: ['totp'], enrolmentRequired: true });
			expect(answer.enrolmentRequired).toEqual(['totp']);
			expect(await marksOf(admin.id)).toEqual([1]);
			const me = await (await callerUnder(ADMIN_TOTP, token)).auth.me();
			expect(me).toMatchObject({
				session: { state: 'verified' },
				factors: { required: ['totp'], enrolmentRequired: true }
			});
		});

		it('the marked session is refused everything but setting a factor up [FORBIDDEN, naming the kind]', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const caller = await callerUnder(ADMIN_TOTP, (await signInByEmail(admin, ADMIN_TOTP)).token);
			for (const call of [
				() => caller.users.list({}),
				() => caller.account.sessions({}),
				() => caller.backupTokens.generateMine({ count: 5 })
			]) {
				const error = await errorOf(call());
				expect(error.code).toBe('FORBIDDEN');
				expect(error.cause).toBeInstanceOf(EnrolmentRequiredError);
				expect(error.message).toBe('Set up an authenticator app first');
			}
			expect(await caller.totp.status()).toMatchObject({ enabled: false });
			expect(await caller.securityKeys.listMine()).toEqual({ keys: [] });
		});

		it('a role the policy does not name is neither told of nor held to anything', async () => {
			const member = await seedUser(api.db);
			const { answer, started, token } = await signInByEmail(member, ADMIN_TOTP);
			expect(started.factors).toEqual({ required: [], enrolmentRequired: false });
			expect(answer.enrolmentRequired).toEqual([]);
			expect(await marksOf(member.id)).toEqual([0]);
			const caller = await callerUnder(ADMIN_TOTP, token);
			expect((await caller.account.sessions({})).total).toBe(1);
		});

		it('setting up an authenticator lifts the mark from every session of the person, and the API opens', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const first = (await signInByEmail(admin, ADMIN_TOTP)).token;
			const second = (await signInByEmail(admin, ADMIN_TOTP)).token;
			expect(await marksOf(admin.id)).toEqual([1, 1]);

			await enrolTotp(await callerUnder(ADMIN_TOTP, first));
			expect(await marksOf(admin.id)).toEqual([0, 0]);
			const other = await callerUnder(ADMIN_TOTP, second);
			expect((await other.users.list({})).total).toBeGreaterThan(0);
			expect(await other.auth.me()).toMatchObject({
				factors: { required: ['totp'], enrolmentRequired: false }
			});
		});

		it('a factor of a kind the role does not require leaves the mark [security keys required, an app set up]', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const { token } = await signInByEmail(admin, ADMIN_KEY);
			const caller = await callerUnder(ADMIN_KEY, token);
			await enrolTotp(caller);
			expect(await marksOf(admin.id)).toEqual([1]);
			const error = await errorOf(caller.users.list({}));
			expect(error.cause).toBeInstanceOf(EnrolmentRequiredError);
			expect(error.message).toBe('Set up a security key first');

			await registerKey(caller, 'YubiKey');
			expect(await marksOf(admin.id)).toEqual([0]);
			// The next request reads the session row again.
			const next = await callerUnder(ADMIN_KEY, token);
			expect((await next.users.list({})).total).toBeGreaterThan(0);
		});

		it('a policy lifted, or a role moved out of it, frees a marked session at once', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const { token } = await signInByEmail(admin, ADMIN_TOTP);
			expect((await errorOf((await callerUnder(ADMIN_TOTP, token)).users.list({}))).code).toBe(
				'FORBIDDEN'
			);
			expect((await (await callerUnder(base, token)).users.list({})).total).toBeGreaterThan(0);
			const memberPolicy = under({ member: ['totp'] });
			expect((await (await callerUnder(memberPolicy, token)).users.list({})).total).toBeGreaterThan(
				0
			);
		});

		it('API tokens made before keep working; a marked session makes none', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const free = await callerUnder(base, (await signInByEmail(admin, base)).token);
			const { token } = await free.apiTokens.create({
				name: 'script',
				scopes: ['read'],
				expiresInDays: 30
			});
			const marked = await callerUnder(ADMIN_TOTP, (await signInByEmail(admin, ADMIN_TOTP)).token);
			const refused = await errorOf(
				marked.apiTokens.create({ name: 'another', scopes: ['read'], expiresInDays: 30 })
			);
			expect(refused.cause).toBeInstanceOf(EnrolmentRequiredError);
			const script = await callerUnder(ADMIN_TOTP, token);
			expect((await script.users.list({})).total).toBeGreaterThan(0);
		});
	});

	describe('remembered devices', () => {
		it('a marked sign-in does not remember the browser [the box is ticked; no device, no cookie]', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const browser = new BrowserCookies();
			const login = await (
				await browserCaller(api, browser, { policy: ADMIN_TOTP })
			).auth.login({ username: admin.username, password: admin.password });
			expect(login.status).toBe('otp_required');
			const { code } = await waitForCode(api.sink, admin.email!);
			const caller = await browserCaller(api, browser, { policy: ADMIN_TOTP });
			const verified = await caller.auth.verifyOtp({ code, rememberDevice: true });
			expect(verified.enrolmentRequired).toEqual(['totp']);
			expect(browser.get('remembered_device')).toBeUndefined();
			const devices = await api.db
				.selectFrom('remembered_devices')
				.select('id')
				.where('user_id', '=', admin.id)
				.execute();
			expect(devices).toEqual([]);
		});

		it('a browser remembered before is not used while the person has no required factor, and the first one forgets it', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const device = await rememberDevice(
				api.db,
				{ userId: admin.id, ip: '203.0.113.9', userAgent: 'vitest' },
				base.rememberDeviceMs,
				Date.now()
			);
			const browser = new BrowserCookies();
			browser.set('remembered_device', device.cookie);
			const credentials = { username: admin.username, password: admin.password };
			// Without the policy the cookie stands in for the code (the control).
			const free = await (
				await browserCaller(api, browser, { policy: base })
			).auth.login(credentials);
			expect(free.status).toBe('verified');

			const held = await (
				await browserCaller(api, browser, { policy: ADMIN_TOTP })
			).auth.login(credentials);
			expect(held.status).toBe('otp_required');
			const { code } = await waitForCode(api.sink, admin.email!);
			const caller = await browserCaller(api, browser, { policy: ADMIN_TOTP });
			await caller.auth.verifyOtp({ code });
			await enrolTotp(await browserCaller(api, browser, { policy: ADMIN_TOTP }));
			const left = await api.db
				.selectFrom('remembered_devices')
				.select('id')
				.where('user_id', '=', admin.id)
				.execute();
			expect(left).toEqual([]);
			const audit = await api.db
				.selectFrom('audit_log')
				.select('details')
				.where('subject_id', '=', admin.id)
				.where('event', '=', 'device.forgotten')
				.execute();
			expect(audit).toEqual([{ details: 'all=1 (first factor the role requires)' }]);
		});
	});

	describe('once the person has a required factor', () => {
		it('the password step offers the authenticator and backup tokens only, and emails nothing', async () => {
			const { admin } = await adminWithTotp();
			await insertBackupTokens(api.db, admin.id, 1);
			const codesBefore = await emailCodesOf(admin.id);
			const started = await passwordStep(admin, ADMIN_TOTP);
			expect(started).toMatchObject({
				methods: ['totp', 'backup_token'],
				email: null,
				codeSent: false,
				factors: { required: ['totp'], enrolmentRequired: false }
			});
			expect(await emailCodesOf(admin.id)).toBe(codesBefore);
		});

		it('an emailed code is refused with a clear message before any try counts, and none is sent', async () => {
			const { admin } = await adminWithTotp();
			const started = await passwordStep(admin, ADMIN_TOTP);
			const caller = await callerUnder(ADMIN_TOTP, started.sessionToken!);
			const failures = await failuresOf(api.db, admin.id);

			const refused = await errorOf(caller.auth.verifyOtp({ code: '123456' }));
			expect(refused.code).toBe('FORBIDDEN');
			expect(refused.cause).toBeInstanceOf(FactorNotAllowedError);
			expect(refused.message).toBe(
				'Your account signs in with an authenticator app (or a backup token), not an emailed code'
			);
			const resend = await errorOf(caller.auth.resendOtp());
			expect(resend.cause).toBeInstanceOf(FactorNotAllowedError);
			expect(await failuresOf(api.db, admin.id)).toBe(failures);
			expect(await emailCodesOf(admin.id)).toBe(0);
		});

		it('the authenticator signs in to a session that is not marked', async () => {
			const { admin, secret } = await adminWithTotp();
			const started = await passwordStep(admin, ADMIN_TOTP);
			const caller = await callerUnder(ADMIN_TOTP, started.sessionToken!);
			const verified = await caller.auth.verifyOtp({ code: totpCode(secret, 1), method: 'totp' });
			expect(verified.enrolmentRequired).toEqual([]);
			const session = await callerUnder(ADMIN_TOTP, verified.sessionToken!);
			expect((await session.users.list({})).total).toBeGreaterThan(0);
		});

		it('a backup token still signs in (the recovery path), and step-up takes the app, not email', async () => {
			const { admin, secret } = await adminWithTotp();
			const [token] = await insertBackupTokens(api.db, admin.id, 1);
			const started = await passwordStep(admin, ADMIN_TOTP);
			const pending = await callerUnder(ADMIN_TOTP, started.sessionToken!);
			const verified = await pending.auth.verifyOtp({ code: token! });
			expect(verified.enrolmentRequired).toEqual([]);

			const caller = await callerUnder(ADMIN_TOTP, verified.sessionToken!);
			expect((await errorOf(caller.auth.stepUp.request())).cause).toBeInstanceOf(
				FactorNotAllowedError
			);
			expect((await errorOf(caller.auth.stepUp.verify({ code: '123456' }))).cause).toBeInstanceOf(
				FactorNotAllowedError
			);
			const { verifiedAt } = await caller.auth.stepUp.verify({
				code: totpCode(secret, 1),
				method: 'totp'
			});
			expect(verifiedAt).toBeInstanceOf(Date);
			expect(await caller.auth.stepUp.methods()).toEqual(['totp']);
		});

		it('a security key is not offered nor accepted when the role requires an authenticator app', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const free = await callerUnder(base, (await signInByEmail(admin, base)).token);
			await enrolTotp(free);
			await registerKey(free, 'YubiKey');
			const started = await passwordStep(admin, ADMIN_TOTP);
			expect(started.methods).toEqual(['totp']);
			const pending = await callerUnder(ADMIN_TOTP, started.sessionToken!);
			const refused = await errorOf(pending.auth.webauthn.options());
			expect(refused.cause).toBeInstanceOf(FactorNotAllowedError);
			expect(refused.message).toBe(
				'Your account signs in with an authenticator app (or a backup token), not a security key'
			);
		});
	});
});
