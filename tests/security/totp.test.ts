// Attacks on authenticator apps (TOTP), on each dialect: guessing stays inside the account's one
// budget, a code counts once, only codes within one step of now count, one account's code opens no
// other, every change needs step-up (and no API token), a setup that a newer one replaced cannot be
// confirmed, and requests racing with the same code leave exactly one winner. Each refusal is a
// clear error, counted where it should be, and changes nothing else.
import { setTimeout as sleep } from 'node:timers/promises';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { getPolicy } from '$lib/server/auth/policy';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import { advanceClock, errorOf, useApiHarness, type Caller } from '../helpers/api-harness';
import { snapshotDatabase } from '../helpers/database-contents';
import { enrolTotp, STEP_MS, totpCode } from '../helpers/totp';
import { dialects } from '../../tools/databases';
import { seedUser, type SeededUser } from '../../tools/sign-in';

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

	async function failedTries(userId: string) {
		return api.db
			.selectFrom('audit_log')
			.select(['event', 'details'])
			.where('subject_id', '=', userId)
			.where('event', '=', 'otp.failed')
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
			expect(await failedTries(user.id)).toEqual(
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
