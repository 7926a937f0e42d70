// Attacks on authenticator apps (TOTP), on each dialect: guessing stays inside the account's one
// budget and one sign-in's few tries (as an emailed code's: a resend refills none), a code counts once, only codes within one step of now count, one account's code opens no
// other, every change needs step-up (and no API token), a setup that a newer one replaced cannot be
// confirmed, and requests racing with the same code leave exactly one winner. Each refusal is a
// clear error, counted where it should be, and changes nothing else.
import { setTimeout as sleep } from 'node:timers/promises';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { getPolicy } from '$lib/server/auth/policy';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import { sha256Hex } from '$lib/server/auth/crypto';
import { advanceClock, errorOf, useApiHarness, type Caller } from '../helpers/api-harness';
import { snapshotDatabase } from '../helpers/database-contents';
import { enrolTotp, STEP_MS, totpCode } from '../helpers/totp';
import { dialects } from '../../tools/databases';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

const policy = getPolicy();
const STAGGER_MS = [0, 1, 3, 6, 12];

type Outcome = 'OK' | TRPCError['code'];

/** How each call ended; a 500 (a deadlock, say) is never an acceptable end of a race. */
async function outcomesOf(calls: Promise<unknown>[]): Promise<Outcome[]> {
	const settled = await Promise.allSettled(calls);
	return settled.map((result) => {
		if (result.status === 'fulfilled') return 'OK';
		const error: unknown = result.reason;
		if (error instanceof TRPCError && error.code !== 'INTERNAL_SERVER_ERROR') return error.code;
		throw error;
	});
}

describe.each(dialects)('authenticator app attacks on %s', (dialect) => {
	const api = useApiHarness(dialect, { auth: 'authenticate' });

	/**
	 * A user with an authenticator, set up from a session signed in by email; `others` more
	 * sessions are signed in by email first (afterwards no code is emailed at sign-in).
	 */
	async function userWithTotp(others = 0): Promise<{
		user: SeededUser;
		session: string;
		caller: Caller;
		secret: string;
		verified: Caller[];
	}> {
		const user = await seedUser(api.db);
		const verified: Caller[] = [];
		for (let i = 0; i < others; i++) verified.push(await api.callerFor(await api.signIn(user)));
		const session = await api.signIn(user);
		const caller = await api.callerFor(session);
		const { secret } = await enrolTotp(caller);
		return { user, session, caller, secret, verified };
	}

	/** A pending session of the user (no code is emailed: the account has an authenticator). */
	async function pending(user: SeededUser): Promise<Caller> {
		return api.callerFor((await api.login(user)).sessionToken!);
	}

	async function accountOf(userId: string) {
		return api.db
			.selectFrom('users')
			.select(['otp_failures', 'otp_blocked_until', 'locked_at'])
			.where('id', '=', userId)
			.executeTakeFirstOrThrow();
	}

	async function lastStepOf(userId: string) {
		const row = await api.db
			.selectFrom('totp_factors')
			.select('last_step')
			.where('user_id', '=', userId)
			.where('confirmed_at', 'is not', null)
			.executeTakeFirstOrThrow();
		return Number(row.last_step);
	}

	async function verifiedSessionsOf(userId: string) {
		const rows = await api.db
			.selectFrom('sessions')
			.select('id')
			.where('user_id', '=', userId)
			.where('state', '=', 'verified')
			.execute();
		return rows.length;
	}

	/** The account's audit rows of one event (`otp.failed`, `session.revoked`, ...). */
	async function auditOf(userId: string, event: string) {
		return api.db
			.selectFrom('audit_log')
			.select(['event', 'details'])
			.where('subject_id', '=', userId)
			.where('event', '=', event)
			.execute();
	}

	describe('guessing', () => {
		it('wrong authenticator codes spend the account budget shared with emailed codes and backup tokens [then even the right code waits]', async () => {
			const { user, secret } = await userWithTotp();
			const first = await pending(user);
			const second = await pending(user);
			await insertBackupTokens(api.db, user.id, 1);
			const right = totpCode(secret, 1);
			const wrong = right.replace(/^\d/, (d) => String((Number(d) + 1) % 10));
			// Five failures across methods and sessions: the authenticator's, an emailed code's, a
			// backup token's.
			for (const call of [
				() => first.auth.verifyOtp({ code: wrong, method: 'totp' }),
				() => second.auth.verifyOtp({ code: wrong, method: 'totp' }),
				() => first.auth.verifyOtp({ code: '123456' }),
				() => second.auth.verifyOtp({ code: 'aaaa-bbbb-cccc-dddd' }),
				() => first.auth.verifyOtp({ code: wrong, method: 'totp' })
			]) {
				expect((await errorOf(call())).code).toBe('UNAUTHORIZED');
			}
			expect((await accountOf(user.id)).otp_failures).toBe(policy.otp.backoffAfterFailures);
			expect(await auditOf(user.id, 'otp.failed')).toEqual(
				expect.arrayContaining([{ event: 'otp.failed', details: 'totp' }])
			);
			const stepBefore = await lastStepOf(user.id);

			const throttled = await errorOf(second.auth.verifyOtp({ code: right, method: 'totp' }));
			expect(throttled.code).toBe('TOO_MANY_REQUESTS');
			expect(await lastStepOf(user.id)).toBe(stepBefore);
			expect(await verifiedSessionsOf(user.id)).toBe(1); // the enrolling session only
		});

		it('the failure that reaches the limit locks the account, whatever the method', async () => {
			const { user, secret } = await userWithTotp();
			const caller = await pending(user);
			await api.db
				.updateTable('users')
				.set({ otp_failures: policy.otp.lockAfterFailures - 1, otp_blocked_until: null })
				.where('id', '=', user.id)
				.execute();
			const wrong = totpCode(secret, 5);
			expect((await errorOf(caller.auth.verifyOtp({ code: wrong, method: 'totp' }))).code).toBe(
				'UNAUTHORIZED'
			);
			expect((await accountOf(user.id)).locked_at).not.toBeNull();
			const locked = await errorOf(
				caller.auth.verifyOtp({ code: totpCode(secret, 1), method: 'totp' })
			);
			expect(locked.code).toBe('FORBIDDEN');
		});
	});

	describe('one sign-in, at most maxAttemptsPerCode tries (as an emailed code gets)', () => {
		const max = policy.otp.maxAttemptsPerCode;
		const WRONG = 'Wrong or expired code';
		const ENDED = 'Too many wrong tries: this sign-in has ended. Sign in again with your password';

		/** A six-digit code that none of the app's steps from ten back to ten ahead shows. */
		function wrongCode(secret: string): string {
			const near = new Set(Array.from({ length: 21 }, (_, i) => totpCode(secret, i - 10)));
			return ['000000', '111111', '222222', '333333'].find((code) => !near.has(code))!;
		}

		async function pendingSession(user: SeededUser) {
			const token = (await api.login(user)).sessionToken!;
			return { token, caller: await api.callerFor(token) };
		}

		/** The tries the session spent on factors other than the emailed code; null: it is gone. */
		async function triesOf(token: string) {
			const row = await api.db
				.selectFrom('sessions')
				.select('factor_attempts')
				.where('id', '=', sha256Hex(token))
				.executeTakeFirst();
			return row ? Number(row.factor_attempts) : null;
		}

		it(`after ${max} wrong app codes the sign-in is over: even the right code is refused, nothing is promoted, and the account counted every try`, async () => {
			const { user, secret } = await userWithTotp();
			const { token, caller } = await pendingSession(user);
			const right = totpCode(secret, 1);
			const wrong = wrongCode(secret);
			const stepBefore = await lastStepOf(user.id);
			const messages: string[] = [];
			for (let i = 0; i < max; i++) {
				const error = await errorOf(caller.auth.verifyOtp({ code: wrong, method: 'totp' }));
				expect(error.code).toBe('UNAUTHORIZED');
				messages.push(error.message);
			}
			expect(messages).toEqual([...Array<string>(max - 1).fill(WRONG), ENDED]);
			expect(await api.isValid(token)).toBe(false);
			expect(await triesOf(token)).toBeNull();
			expect((await accountOf(user.id)).otp_failures).toBe(max);
			expect(await auditOf(user.id, 'session.revoked')).toEqual([
				{ event: 'session.revoked', details: 'sign-in ended: too many wrong tries' }
			]);

			// Past the account's wait the right code still finishes nothing: a new request with the
			// token is no sign-in, and one that got in before the end is refused by the service
			// (counted, as every try is).
			advanceClock(2000);
			const fresh = await api.callerFor(token);
			expect((await errorOf(fresh.auth.verifyOtp({ code: right, method: 'totp' }))).code).toBe(
				'UNAUTHORIZED'
			);
			const late = await errorOf(caller.auth.verifyOtp({ code: right, method: 'totp' }));
			expect(late.code).toBe('UNAUTHORIZED');
			expect((await accountOf(user.id)).otp_failures).toBe(max + 1);
			expect(await verifiedSessionsOf(user.id)).toBe(1); // the enrolling session only
			expect(await lastStepOf(user.id)).toBe(stepBefore); // the right code's step is unspent

			// Starting again with the password gives a sign-in with tries of its own.
			advanceClock(4000);
			const again = await pendingSession(user);
			expect((await again.caller.auth.verifyOtp({ code: right, method: 'totp' })).status).toBe(
				'verified'
			);
			expect((await accountOf(user.id)).otp_failures).toBe(0);
		});

		it('a resend (a first emailed code, then a new one) refills nothing, and the codes end with the sign-in', async () => {
			const { user, secret } = await userWithTotp();
			const { token, caller } = await pendingSession(user);
			const wrong = wrongCode(secret);
			for (let i = 0; i < max - 1; i++) {
				expect(
					(await errorOf(caller.auth.verifyOtp({ code: wrong, method: 'totp' }))).message
				).toBe(WRONG);
			}
			await caller.auth.resendOtp();
			await waitForCode(api.sink, user.email!);
			advanceClock(policy.otp.resendCooldownMs);
			await caller.auth.resendOtp();
			const { code: emailed } = await waitForCode(api.sink, user.email!);
			expect(await triesOf(token)).toBe(max - 1);

			const last = await errorOf(caller.auth.verifyOtp({ code: wrong, method: 'totp' }));
			expect(last.message).toBe(ENDED);
			expect((await accountOf(user.id)).otp_failures).toBe(max);
			advanceClock(2000);
			// The emailed code belonged to the sign-in: it went with it.
			const late = await errorOf(caller.auth.verifyOtp({ code: emailed }));
			expect(late.code).toBe('UNAUTHORIZED');
			expect(await verifiedSessionsOf(user.id)).toBe(1);
		});

		it('wrong backup tokens share the cap with app codes; a wrong emailed code counts on its code, not here', async () => {
			const { user, secret } = await userWithTotp();
			await insertBackupTokens(api.db, user.id, 1);
			const { token, caller } = await pendingSession(user);
			await caller.auth.resendOtp();
			const { code: emailed } = await waitForCode(api.sink, user.email!);
			const wrongEmailed = emailed === '000000' ? '111111' : '000000';
			const wrong = wrongCode(secret);
			const tries = [
				() => caller.auth.verifyOtp({ code: wrongEmailed }),
				() => caller.auth.verifyOtp({ code: wrong, method: 'totp' }),
				() => caller.auth.verifyOtp({ code: 'aaaa-bbbb-cccc-dddd' }),
				() => caller.auth.verifyOtp({ code: wrong, method: 'totp' }),
				() => caller.auth.verifyOtp({ code: 'aaaa-bbbb-cccc-dddd', method: 'backup_token' })
			];
			const seen: Array<number | null> = [];
			for (const attempt of tries) {
				expect((await errorOf(attempt())).message).toBe(WRONG);
				seen.push(await triesOf(token));
			}
			expect(seen).toEqual([0, 1, 2, 3, 4]);
			// The account's fifth failure asks for a wait; then the fifth try of the sign-in ends it.
			advanceClock(1000);
			expect(max).toBe(5);
			const last = await errorOf(caller.auth.verifyOtp({ code: 'aaaa-bbbb-cccc-dddd' }));
			expect(last.message).toBe(ENDED);
			expect(await api.isValid(token)).toBe(false);
			expect((await accountOf(user.id)).otp_failures).toBe(6);
		});

		it('step-up: the wrong app code that uses up the session’s tries signs it out; a good step-up before then starts the count again', async () => {
			const { user, secret, session, caller } = await userWithTotp();
			const wrong = wrongCode(secret);
			const stepUp = (code: string) => errorOf(caller.auth.stepUp.verify({ code, method: 'totp' }));
			for (let i = 0; i < max - 1; i++) expect((await stepUp(wrong)).message).toBe(WRONG);
			await caller.auth.stepUp.verify({ code: totpCode(secret, 1), method: 'totp' });
			expect(await triesOf(session)).toBe(0);

			for (let i = 0; i < max - 1; i++) expect((await stepUp(wrong)).message).toBe(WRONG);
			expect(await api.isValid(session)).toBe(true);
			const last = await stepUp(wrong);
			expect(last.code).toBe('UNAUTHORIZED');
			expect(last.message).toBe('Too many wrong tries: you were signed out. Sign in again');
			expect(await api.isValid(session)).toBe(false);
			expect(await auditOf(user.id, 'session.revoked')).toEqual([
				{ event: 'session.revoked', details: 'signed out: too many wrong step-up tries' }
			]);
		});

		it(`${max + 3} wrong app codes racing in one sign-in: each refused (none a server error), exactly one ends it`, async () => {
			const { user, secret } = await userWithTotp();
			const token = (await api.login(user)).sessionToken!;
			// No account backoff here, so the sign-in's own count is what stops them.
			const rules = { ...policy, otp: { ...policy.otp, backoffAfterFailures: 50 } };
			const caller = await api.callerFor(token, { policy: rules });
			const wrong = wrongCode(secret);
			const settled = await Promise.allSettled(
				Array.from({ length: max + 3 }, () =>
					caller.auth.verifyOtp({ code: wrong, method: 'totp' })
				)
			);
			const messages = settled.map((result) => {
				if (result.status === 'fulfilled') return 'OK';
				const error: unknown = result.reason;
				if (error instanceof TRPCError && error.code === 'UNAUTHORIZED') return error.message;
				throw error;
			});
			expect(messages.filter((m) => m !== WRONG && m !== ENDED)).toEqual([]);
			expect(messages).toContain(ENDED);
			expect(await api.isValid(token)).toBe(false);
			expect(await auditOf(user.id, 'session.revoked')).toHaveLength(1);
			expect((await accountOf(user.id)).otp_failures).toBe(max + 3);
		});
	});

	describe('codes that must not count', () => {
		it('a replayed code: the step it belongs to was accepted, so it is refused and counted', async () => {
			const { user, secret, verified } = await userWithTotp(1);
			const code = totpCode(secret, 1);
			expect((await (await pending(user)).auth.verifyOtp({ code, method: 'totp' })).status).toBe(
				'verified'
			);
			const replay = await pending(user);
			const refused = await errorOf(replay.auth.verifyOtp({ code, method: 'totp' }));
			expect(refused.code).toBe('UNAUTHORIZED');
			expect(refused.message).toBe('Wrong or expired code');
			expect((await accountOf(user.id)).otp_failures).toBe(1);
			// An earlier step's code, still inside the window, is refused too: steps only move on.
			const earlier = await errorOf(
				replay.auth.verifyOtp({ code: totpCode(secret, -1), method: 'totp' })
			);
			expect(earlier.code).toBe('UNAUTHORIZED');
			// Nor does the code refresh step-up in another session.
			const stepUp = await errorOf(verified[0]!.auth.stepUp.verify({ code, method: 'totp' }));
			expect(stepUp.code).toBe('UNAUTHORIZED');
		});

		it('the confirming code is spent too: it cannot sign in afterwards', async () => {
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user));
			const enrolment = await caller.totp.begin();
			const code = totpCode(enrolment.secret);
			await caller.totp.confirm({ enrolmentId: enrolment.enrolmentId, code });
			const refused = await errorOf((await pending(user)).auth.verifyOtp({ code, method: 'totp' }));
			expect(refused.code).toBe('UNAUTHORIZED');
		});

		it('a code from the future (or the past) beyond one step is refused', async () => {
			const { user, secret } = await userWithTotp();
			const caller = await pending(user);
			for (const offset of [2, 3, 10, -2]) {
				const code = totpCode(secret, offset);
				expect((await errorOf(caller.auth.verifyOtp({ code, method: 'totp' }))).code).toBe(
					'UNAUTHORIZED'
				);
			}
			expect((await accountOf(user.id)).otp_failures).toBe(4);
			expect(await verifiedSessionsOf(user.id)).toBe(1);
		});

		it("another account's code is refused, and so is any code for an account without an authenticator", async () => {
			const alice = await userWithTotp();
			const bob = await userWithTotp();
			const bobPending = await pending(bob.user);
			const alicesCode = totpCode(alice.secret, 1);
			const refused = await errorOf(
				bobPending.auth.verifyOtp({ code: alicesCode, method: 'totp' })
			);
			expect(refused.code).toBe('UNAUTHORIZED');
			expect((await accountOf(bob.user.id)).otp_failures).toBe(1);
			// Alice's step was not spent by Bob's try: her code still signs her in.
			const alicePending = await pending(alice.user);
			expect((await alicePending.auth.verifyOtp({ code: alicesCode, method: 'totp' })).status).toBe(
				'verified'
			);

			const carol = await seedUser(api.db);
			const carolPending = await api.callerFor((await api.login(carol)).sessionToken!);
			const none = await errorOf(
				carolPending.auth.verifyOtp({ code: totpCode(alice.secret, 1), method: 'totp' })
			);
			expect(none.code).toBe('UNAUTHORIZED');
		});
	});

	describe('changes need step-up and a person', () => {
		it('without a recent code, setting up, reading back, confirming and removing are refused and change nothing', async () => {
			const { caller, secret } = await userWithTotp();
			const enrolment = await caller.totp.begin();
			advanceClock(policy.stepUpWindowMs + 1000);
			const before = await snapshotDatabase(api.db, {
				tables: ['totp_factors', 'users', 'audit_log']
			});
			for (const call of [
				() => caller.totp.begin(),
				() => caller.totp.pending(),
				() => caller.totp.confirm({ enrolmentId: enrolment.enrolmentId, code: totpCode(secret) }),
				() => caller.totp.remove()
			]) {
				const error = await errorOf(call());
				expect(error.code).toBe('FORBIDDEN');
				expect(error.message).toBe('Confirm with a fresh code first');
			}
			expect(
				await snapshotDatabase(api.db, { tables: ['totp_factors', 'users', 'audit_log'] })
			).toBe(before);
		});

		it('an API token can do none of it, not even with every scope', async () => {
			const { caller } = await userWithTotp();
			const { token } = await caller.apiTokens.create({
				name: 'ci',
				scopes: ['read', 'write'],
				expiresInDays: 30
			});
			const tokenCaller = await api.callerFor(token);
			for (const call of [
				() => tokenCaller.totp.begin(),
				() => tokenCaller.totp.pending(),
				() => tokenCaller.totp.confirm({ enrolmentId: 'aaaaaaaaaaaaaaaa', code: '123456' }),
				() => tokenCaller.totp.remove()
			]) {
				const error = await errorOf(call());
				expect(error.code).toBe('FORBIDDEN');
				expect(error.message).toMatch(/^API tokens cannot call this procedure/);
			}
			expect(await caller.totp.status()).toMatchObject({ enabled: true });
		});

		it('a setup that a newer one replaced cannot be confirmed, with its code or the new one', async () => {
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user));
			const stale = await caller.totp.begin();
			const current = await caller.totp.begin();
			expect(current.secret).not.toBe(stale.secret);

			const gone = await errorOf(
				caller.totp.confirm({ enrolmentId: stale.enrolmentId, code: totpCode(stale.secret) })
			);
			expect(gone.code).toBe('CONFLICT');
			expect(gone.message).toMatch(/replaced by a newer one/);
			const staleCode = await errorOf(
				caller.totp.confirm({ enrolmentId: current.enrolmentId, code: totpCode(stale.secret) })
			);
			expect(staleCode.code).toBe('UNAUTHORIZED');
			expect(await caller.totp.status()).toMatchObject({ enabled: false });
			expect(
				await api.db
					.selectFrom('audit_log')
					.select('id')
					.where('subject_id', '=', user.id)
					.where('event', '=', 'totp.added')
					.execute()
			).toEqual([]);
			// The current one still confirms.
			await caller.totp.confirm({
				enrolmentId: current.enrolmentId,
				code: totpCode(current.secret)
			});
			expect(await caller.totp.status()).toMatchObject({ enabled: true });
		});

		it("another person's setup cannot be confirmed", async () => {
			const alice = await seedUser(api.db);
			const bob = await seedUser(api.db);
			const aliceCaller = await api.callerFor(await api.signIn(alice));
			const bobCaller = await api.callerFor(await api.signIn(bob));
			const enrolment = await aliceCaller.totp.begin();
			const error = await errorOf(
				bobCaller.totp.confirm({
					enrolmentId: enrolment.enrolmentId,
					code: totpCode(enrolment.secret)
				})
			);
			expect(error.code).toBe('CONFLICT');
			expect(await bobCaller.totp.status()).toMatchObject({ enabled: false });
			expect(await aliceCaller.totp.status()).toMatchObject({ enabled: false });
		});
	});

	describe('races on one code', () => {
		it('two sign-ins with the same code at once, 5 rounds [exactly one verified session]', async () => {
			const { user, secret } = await userWithTotp();
			for (const [round, stagger] of STAGGER_MS.entries()) {
				advanceClock(STEP_MS);
				const callers = [await pending(user), await pending(user)];
				const before = await verifiedSessionsOf(user.id);
				const code = totpCode(secret);
				const outcomes = await outcomesOf(
					callers.map((caller, i) =>
						sleep(i ? stagger : 0).then(() => caller.auth.verifyOtp({ code, method: 'totp' }))
					)
				);
				expect(
					outcomes.filter((o) => o === 'OK'),
					`round ${round}`
				).toHaveLength(1);
				expect(
					outcomes.filter((o) => o === 'UNAUTHORIZED'),
					`round ${round}`
				).toHaveLength(1);
				expect(await verifiedSessionsOf(user.id)).toBe(before + 1);
			}
		});

		it('six at once, from sign-in and step-up alike [exactly one wins]', async () => {
			const { user, secret, verified } = await userWithTotp(2);
			advanceClock(STEP_MS);
			const pendings = [];
			for (let i = 0; i < 4; i++) pendings.push(await pending(user));
			const code = totpCode(secret);
			const outcomes = await outcomesOf([
				...pendings.map((caller) => caller.auth.verifyOtp({ code, method: 'totp' })),
				...verified.map((caller) => caller.auth.stepUp.verify({ code, method: 'totp' }))
			]);
			expect(outcomes.filter((o) => o === 'OK')).toHaveLength(1);
			// Losers are refused as wrong codes, or throttled once their failures reach the backoff.
			expect(
				outcomes.filter((o) => o === 'UNAUTHORIZED' || o === 'TOO_MANY_REQUESTS')
			).toHaveLength(5);
		});
	});
});
