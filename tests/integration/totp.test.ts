// Authenticator apps (TOTP) through the server-side caller, on each dialect: enrolment, sign-in,
// step-up and removal, with mail delivered to a real SMTP server on loopback. Codes are computed
// as an app would; every accepted step is spent, so each test moves on to a later step (or moves
// the clock) before it uses the next code.
import { describe, expect, it } from 'vitest';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import { getPolicy } from '$lib/server/auth/policy';
import { advanceClock, errorOf, useApiHarness } from '../helpers/api-harness';
import { enrolTotp, STEP_MS, totpCode } from '../helpers/totp';
import { dialects } from '../../tools/databases';
import { isCodeMailTo, seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

const policy = getPolicy();
const ADDED = 'Authenticator app set up for Admin';
const REMOVED = 'Authenticator app removed from Admin';

describe.each(dialects)('authenticator apps on %s', (dialect) => {
	const api = useApiHarness(dialect);

	/** A user signed in by email, with an authenticator set up from that (stepped-up) session. */
	async function userWithTotp() {
		const user = await seedUser(api.db);
		const session = await api.signIn(user);
		const caller = await api.callerFor(session);
		const { secret } = await enrolTotp(caller);
		await api.sink.waitForMessage((m) => m.subject === ADDED && m.envelopeTo.includes(user.email!));
		return { user, session, caller, secret };
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

	const codeMailsTo = (user: SeededUser) => api.sink.messages.filter(isCodeMailTo(user.email!));

	describe('enrolment', () => {
		it('shows a new secret and its otpauth:// URI, stores it sealed, and counts only after a first good code', async () => {
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user));
			const enrolment = await caller.totp.begin();
			expect(enrolment.secret).toMatch(/^[A-Z2-7]{32}$/);
			const uri = new URL(enrolment.uri);
			expect(uri.protocol).toBe('otpauth:');
			expect(uri.searchParams.get('secret')).toBe(enrolment.secret);
			expect(uri.searchParams.get('issuer')).toBe('Admin');
			expect(uri.searchParams.get('algorithm')).toBe('SHA1');
			expect(uri.searchParams.get('digits')).toBe('6');
			expect(uri.searchParams.get('period')).toBe('30');
			expect(decodeURIComponent(uri.pathname)).toContain(user.username);

			const rows = await api.db
				.selectFrom('totp_factors')
				.select(['secret_box', 'confirmed_at'])
				.where('user_id', '=', user.id)
				.execute();
			expect(rows).toHaveLength(1);
			expect(rows[0]!.confirmed_at).toBeNull();
			expect(rows[0]!.secret_box).toMatch(/^v1\./);
			expect(rows[0]!.secret_box).not.toContain(enrolment.secret);
			expect(await caller.totp.status()).toMatchObject({ enabled: false });
			// The setup in progress can be shown again (after a wrong code, say).
			expect(await caller.totp.pending()).toMatchObject({
				enrolmentId: enrolment.enrolmentId,
				secret: enrolment.secret
			});

			const wrong = await errorOf(
				caller.totp.confirm({ enrolmentId: enrolment.enrolmentId, code: '000000' })
			);
			expect(wrong.code).toBe('UNAUTHORIZED');
			expect(await caller.totp.status()).toMatchObject({ enabled: false });

			const confirmed = await caller.totp.confirm({
				enrolmentId: enrolment.enrolmentId,
				code: totpCode(enrolment.secret)
			});
			expect(confirmed).toEqual({ replaced: false });
			expect(await caller.totp.status()).toMatchObject({ enabled: true, usable: true });
			expect(await caller.totp.pending()).toBeNull();
			expect(await auditOf(user.id, 'totp.added')).toEqual([
				{ event: 'totp.added', details: null, actor_id: user.id }
			]);
			const notice = await api.sink.waitForMessage(
				(m) => m.subject === ADDED && m.envelopeTo.includes(user.email!)
			);
			expect(notice.text).toContain('An authenticator app was set up');
			expect(await preferenceOf(user.id)).toBe('totp');
		});

		it('a new setup replaces the authenticator only once it is confirmed', async () => {
			const { user, caller, secret: first } = await userWithTotp();
			const second = await caller.totp.begin();
			// Until then the first app still signs in.
			advanceClock(STEP_MS);
			const pending = await api.login(user);
			const verified = await (
				await api.callerFor(pending.sessionToken!)
			).auth.verifyOtp({ code: totpCode(first), method: 'totp' });
			expect(verified.status).toBe('verified');

			advanceClock(STEP_MS);
			expect(
				await caller.totp.confirm({
					enrolmentId: second.enrolmentId,
					code: totpCode(second.secret)
				})
			).toEqual({ replaced: true });
			expect(await auditOf(user.id, 'totp.added')).toContainEqual({
				event: 'totp.added',
				details: 'replaced',
				actor_id: user.id
			});
			const rows = await api.db
				.selectFrom('totp_factors')
				.select('id')
				.where('user_id', '=', user.id)
				.execute();
			expect(rows).toEqual([{ id: second.enrolmentId }]);

			advanceClock(STEP_MS);
			const again = await api.callerFor((await api.login(user)).sessionToken!);
			const old = await errorOf(again.auth.verifyOtp({ code: totpCode(first), method: 'totp' }));
			expect(old.code).toBe('UNAUTHORIZED');
			const fresh = await again.auth.verifyOtp({ code: totpCode(second.secret), method: 'totp' });
			expect(fresh.status).toBe('verified');
		});
	});

	describe('signing in', () => {
		it('after the password no code is emailed; the answer and auth.me list the authenticator first', async () => {
			const { user } = await userWithTotp();
			const mailsBefore = codeMailsTo(user).length;
			const pending = await api.login(user);
			expect(pending).toMatchObject({
				status: 'otp_required',
				methods: ['totp', 'email'],
				codeSent: false,
				expiresAt: null,
				resendAvailableAt: null
			});
			const caller = await api.callerFor(pending.sessionToken!);
			expect(await caller.auth.me()).toMatchObject({ methods: ['totp', 'email'] });
			expect(codeMailsTo(user)).toHaveLength(mailsBefore);
			const codes = await api.db
				.selectFrom('email_otps')
				.select('session_id')
				.where('user_id', '=', user.id)
				.execute();
			expect(codes).toEqual([]);
		});

		it("an authenticator's code signs in with method 'totp'; without it, digits are an emailed code", async () => {
			const { user, secret } = await userWithTotp();
			const caller = await api.callerFor((await api.login(user)).sessionToken!);
			// The next step's code (the current one was spent confirming the setup).
			const code = totpCode(secret, 1);
			const asEmail = await errorOf(caller.auth.verifyOtp({ code }));
			expect(asEmail.code).toBe('UNAUTHORIZED');

			const verified = await caller.auth.verifyOtp({ code, method: 'totp' });
			expect(verified.status).toBe('verified');
			expect(await api.isValid(verified.sessionToken!)).toBe(true);
			expect(await auditOf(user.id, 'otp.verified')).toContainEqual({
				event: 'otp.verified',
				details: 'totp',
				actor_id: user.id
			});
			// The wrong try spent a try of the budget; the success cleared it.
			const budget = await api.db
				.selectFrom('users')
				.select('otp_failures')
				.where('id', '=', user.id)
				.executeTakeFirstOrThrow();
			expect(budget.otp_failures).toBe(0);
		});

		it('email, once chosen, sends the first code (resendOtp) and becomes the preferred factor', async () => {
			const { user } = await userWithTotp();
			const caller = await api.callerFor((await api.login(user)).sessionToken!);
			const sent = await caller.auth.resendOtp();
			expect(sent.expiresAt.getTime()).toBeGreaterThan(Date.now());
			const { code } = await waitForCode(api.sink, user.email!);
			// Inside the cooldown a second one is refused, as for any resend.
			const again = await errorOf(caller.auth.resendOtp());
			expect(again.code).toBe('TOO_MANY_REQUESTS');
			expect((await caller.auth.verifyOtp({ code })).status).toBe('verified');
			expect(await preferenceOf(user.id)).toBe('email');

			// Offered first next time, yet still not sent until chosen.
			const mailsBefore = codeMailsTo(user).length;
			const next = await api.login(user);
			expect(next).toMatchObject({ methods: ['email', 'totp'], codeSent: false });
			expect(codeMailsTo(user)).toHaveLength(mailsBefore);
		});

		it('backup tokens still work, with or without a method', async () => {
			const { user } = await userWithTotp();
			const [first, second] = await insertBackupTokens(api.db, user.id, 2);
			const pending = await api.login(user);
			expect(pending.methods).toEqual(['totp', 'email', 'backup_token']);
			const one = await api.callerFor(pending.sessionToken!);
			expect((await one.auth.verifyOtp({ code: first! })).status).toBe('verified');
			const two = await api.callerFor((await api.login(user)).sessionToken!);
			const verified = await two.auth.verifyOtp({ code: second!, method: 'backup_token' });
			expect(verified.status).toBe('verified');
			// A backup token is a last resort, never the preference.
			expect(await preferenceOf(user.id)).toBe('totp');
		});
	});

	describe('step-up', () => {
		it("refreshes with an authenticator's code", async () => {
			const { user, session, caller, secret } = await userWithTotp();
			advanceClock(policy.stepUpWindowMs + 60_000);
			const refused = await errorOf(caller.totp.begin());
			expect(refused.message).toBe('Confirm with a fresh code first');

			expect(await caller.auth.stepUp.methods()).toEqual(['totp', 'email']);
			const { verifiedAt } = await caller.auth.stepUp.verify({
				code: totpCode(secret),
				method: 'totp'
			});
			expect(verifiedAt.getTime()).toBe(Date.now());
			expect(await auditOf(user.id, 'step_up.verified')).toEqual([
				{ event: 'step_up.verified', details: 'totp', actor_id: user.id }
			]);
			// A caller's session is read once, as a request's is: the next request sees the step-up.
			const next = await api.callerFor(session);
			expect((await next.totp.begin()).secret).toMatch(/^[A-Z2-7]{32}$/);
		});
	});

	describe('removal', () => {
		it('removes the authenticator, audits it, tells the owner, and email codes go out again', async () => {
			const { user, caller } = await userWithTotp();
			expect(await caller.totp.remove()).toEqual({ removed: true });
			expect(await caller.totp.status()).toEqual({
				enabled: false,
				confirmedAt: null,
				usable: false
			});
			expect(await auditOf(user.id, 'totp.removed')).toEqual([
				{ event: 'totp.removed', details: null, actor_id: user.id }
			]);
			await api.sink.waitForMessage(
				(m) => m.subject === REMOVED && m.envelopeTo.includes(user.email!)
			);
			expect(await preferenceOf(user.id)).toBeNull();

			const pending = await api.login(user);
			expect(pending).toMatchObject({ methods: ['email'], codeSent: true });
			await waitForCode(api.sink, user.email!);

			// Nothing left to remove: no audit row, no mail.
			expect(await caller.totp.remove()).toEqual({ removed: false });
			expect(await auditOf(user.id, 'totp.removed')).toHaveLength(1);
		});
	});
});
