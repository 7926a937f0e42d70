// Races on the second step: calls that arrive together must leave exactly one winner, exact
// counters and no surviving session. On MariaDB each call runs its statements on its own pool
// connection, so the transactions really overlap; on SQLite they interleave between statements.
// Every race runs several rounds with staggered starts, to meet more than one ordering.
import { setTimeout as sleep } from 'node:timers/promises';
import { TRPCError } from '@trpc/server';
import { describe, expect, it, vi } from 'vitest';
import { sameDigest, sha256Hex } from '$lib/server/auth/crypto';
import { getPolicy } from '$lib/server/auth/policy';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import { TooManyRequestsError } from '$lib/server/errors';
import { advanceClock, errorOf, useApiHarness, type Caller } from '../helpers/api-harness';
import { dialects } from '../../tools/databases';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

// Every emailed code is compared by `sameDigest`; counting its calls shows how many guesses
// were actually compared, not just how many were answered.
vi.mock('$lib/server/auth/crypto', async (importOriginal) => {
	const actual = await importOriginal<typeof import('$lib/server/auth/crypto')>();
	return { ...actual, sameDigest: vi.fn(actual.sameDigest) };
});

// The password change hashes the new password (argon2, tens of ms) right before its
// transaction; the hook starts the competing verify as hashing begins, so staggered starts land
// before, inside and after that transaction.
const passwordHooks = vi.hoisted(() => ({ beforeHash: null as null | (() => void) }));
vi.mock('$lib/server/auth/password', async (importOriginal) => {
	const actual = await importOriginal<typeof import('$lib/server/auth/password')>();
	return {
		...actual,
		hashPassword: (password: string) => {
			passwordHooks.beforeHash?.();
			return actual.hashPassword(password);
		}
	};
});

const policy = getPolicy();
/** Milliseconds the second call of a race starts after the first, one round each. */
const STAGGER_MS = [0, 1, 3, 6, 12];
/** When the logout starts, after the verify did (its statements take a few ms on MariaDB). */
const LOGOUT_DELAY_MS = [0, 5, 10, 20, 40];
/** When the verify starts, after the password change began hashing the new password. */
const HASH_DELAY_MS = [0, 15, 30, 45, 60, 90];
const WRONG_CODE = '000000'.slice(0, policy.otp.length);

type Outcome = 'OK' | TRPCError['code'];

/** How each call ended. A 500 (a deadlock, say) is never an acceptable end of a race: it throws. */
async function outcomesOf(calls: Promise<unknown>[]): Promise<Outcome[]> {
	const settled = await Promise.allSettled(calls);
	return settled.map((result) => {
		if (result.status === 'fulfilled') return 'OK';
		const error: unknown = result.reason;
		if (error instanceof TRPCError && error.code !== 'INTERNAL_SERVER_ERROR') return error.code;
		throw error;
	});
}

const count = (outcomes: Outcome[], wanted: Outcome) => outcomes.filter((o) => o === wanted).length;

describe.each(dialects)('races on %s', (dialect) => {
	const api = useApiHarness(dialect);

	async function sessionsOf(userId: string) {
		return api.db
			.selectFrom('sessions')
			.select(['id', 'state'])
			.where('user_id', '=', userId)
			.execute();
	}

	async function budgetOf(userId: string) {
		return api.db
			.selectFrom('users')
			.select(['otp_failures', 'otp_blocked_until', 'locked_at'])
			.where('id', '=', userId)
			.executeTakeFirstOrThrow();
	}

	/** A pending bearer session whose code nobody needs (wrong guesses only). */
	async function pendingSession(user: SeededUser): Promise<string> {
		const started = await api.login(user);
		await waitForCode(api.sink, user.email!); // keep the sink's queue in step
		return started.sessionToken!;
	}

	/** Callers for `count` pending sessions of the user. */
	async function pendingCallers(user: SeededUser, count: number): Promise<Caller[]> {
		const callers: Caller[] = [];
		for (let i = 0; i < count; i++) callers.push(await api.callerFor(await pendingSession(user)));
		return callers;
	}

	describe('correct codes', () => {
		it('the same code verified 8 times at once, 5 rounds [exactly one verified session; the rest refused; the code row gone]', async () => {
			for (const round of STAGGER_MS.keys()) {
				const user = await seedUser(api.db);
				const { pending, code } = await api.startSignIn(user);
				const caller = await api.callerFor(pending);
				const outcomes = await outcomesOf(
					Array.from({ length: 8 }, (_, i) =>
						sleep(i % 2 ? STAGGER_MS[round] : 0).then(() => caller.auth.verifyOtp({ code }))
					)
				);
				expect(count(outcomes, 'OK'), `round ${round}`).toBe(1);
				// Losers are refused as wrong codes, or throttled once their tries reach the backoff.
				expect(count(outcomes, 'UNAUTHORIZED') + count(outcomes, 'TOO_MANY_REQUESTS')).toBe(7);
				expect((await sessionsOf(user.id)).map((s) => s.state)).toEqual(['verified']);
				const codes = await api.db
					.selectFrom('email_otps')
					.select('session_id')
					.where('user_id', '=', user.id)
					.execute();
				expect(codes).toEqual([]);
			}
		});

		it('one backup token redeemed at once from two pending sessions, 5 rounds [exactly one winner; the token gone; the loser stays pending]', async () => {
			for (const round of STAGGER_MS.keys()) {
				const user = await seedUser(api.db);
				const [token] = await insertBackupTokens(api.db, user.id, 1);
				const a = await api.callerFor(await pendingSession(user));
				const b = await api.callerFor(await pendingSession(user));
				const outcomes = await outcomesOf([
					a.auth.verifyOtp({ code: token! }),
					sleep(STAGGER_MS[round]!).then(() => b.auth.verifyOtp({ code: token! }))
				]);
				expect(outcomes.sort(), `round ${round}`).toEqual(['OK', 'UNAUTHORIZED']);
				expect((await sessionsOf(user.id)).map((s) => s.state).sort()).toEqual([
					'pending_otp',
					'verified'
				]);
				const left = await api.db
					.selectFrom('backup_tokens')
					.select('id')
					.where('user_id', '=', user.id)
					.execute();
				expect(left).toEqual([]);
			}
		});
	});

	describe('wrong guesses', () => {
		it('24 wrong codes at once from 4 pending sessions of one account [failures end at 5; 19 TOO_MANY_REQUESTS; 5 comparisons]', async () => {
			const user = await seedUser(api.db);
			const callers = await pendingCallers(user, 4);
			vi.mocked(sameDigest).mockClear();

			const outcomes = await outcomesOf(
				Array.from({ length: 24 }, (_, i) => callers[i % 4]!.auth.verifyOtp({ code: WRONG_CODE }))
			);
			expect(count(outcomes, 'UNAUTHORIZED')).toBe(policy.otp.backoffAfterFailures);
			expect(count(outcomes, 'TOO_MANY_REQUESTS')).toBe(24 - policy.otp.backoffAfterFailures);
			expect((await budgetOf(user.id)).otp_failures).toBe(policy.otp.backoffAfterFailures);
			expect(sameDigest).toHaveBeenCalledTimes(policy.otp.backoffAfterFailures);

			// One backoff step later exactly one more try gets through, and the wait doubles.
			advanceClock(1000);
			vi.mocked(sameDigest).mockClear();
			const settled = await Promise.allSettled(
				Array.from({ length: 12 }, (_, i) => callers[i % 4]!.auth.verifyOtp({ code: WRONG_CODE }))
			);
			const errors = settled.map((r) => (r as PromiseRejectedResult).reason as TRPCError);
			expect(errors.filter((e) => e.code === 'UNAUTHORIZED')).toHaveLength(1);
			const throttled = errors.filter((e) => e.code === 'TOO_MANY_REQUESTS');
			expect(throttled).toHaveLength(11);
			for (const error of throttled) {
				expect((error.cause as TooManyRequestsError).retryAfterSeconds).toBe(2);
			}
			expect((await budgetOf(user.id)).otp_failures).toBe(policy.otp.backoffAfterFailures + 1);
			expect(sameDigest).toHaveBeenCalledTimes(1);
		});

		it('10 wrong codes at once one failure short of the lock [failures end at 100; locked once; 9 FORBIDDEN; 1 comparison]', async () => {
			const user = await seedUser(api.db);
			const callers = await pendingCallers(user, 2);
			await api.db
				.updateTable('users')
				.set({ otp_failures: policy.otp.lockAfterFailures - 1 })
				.where('id', '=', user.id)
				.execute();
			vi.mocked(sameDigest).mockClear();

			const outcomes = await outcomesOf(
				Array.from({ length: 10 }, (_, i) => callers[i % 2]!.auth.verifyOtp({ code: WRONG_CODE }))
			);
			expect(outcomes.sort()).toEqual(['FORBIDDEN', ...Array(8).fill('FORBIDDEN'), 'UNAUTHORIZED']);
			const budget = await budgetOf(user.id);
			expect(budget.otp_failures).toBe(policy.otp.lockAfterFailures);
			expect(budget.locked_at).not.toBeNull();
			expect(sameDigest).toHaveBeenCalledTimes(1);
			const locks = await api.db
				.selectFrom('audit_log')
				.select('id')
				.where('subject_id', '=', user.id)
				.where('event', '=', 'account.locked')
				.execute();
			expect(locks).toHaveLength(1);
		});
	});

	describe('resend against verify', () => {
		it('resendOtp racing verifyOtp with the current code, 5 rounds [exactly one succeeds; never two live codes; the old code dead]', async () => {
			for (const round of STAGGER_MS.keys()) {
				const user = await seedUser(api.db);
				const { pending, code: oldCode } = await api.startSignIn(user);
				advanceClock(policy.otp.resendCooldownMs); // the resend itself is allowed
				const caller = await api.callerFor(pending);
				const [verified, resent] = await outcomesOf([
					caller.auth.verifyOtp({ code: oldCode }),
					sleep(STAGGER_MS[round]!).then(() => caller.auth.resendOtp())
				]);
				const liveCodes = await api.db
					.selectFrom('email_otps')
					.select('code_hash')
					.where('session_id', '=', sha256Hex(pending))
					.execute();
				expect(
					[verified, resent].filter((o) => o === 'OK'),
					`round ${round}`
				).toHaveLength(1);
				if (verified === 'OK') {
					expect(liveCodes).toEqual([]);
					continue;
				}
				expect(liveCodes).toHaveLength(1);
				const { code: newCode } = await waitForCode(api.sink, user.email!);
				if (newCode !== oldCode) {
					expect((await errorOf(caller.auth.verifyOtp({ code: oldCode }))).code).toBe(
						'UNAUTHORIZED'
					);
				}
				expect((await caller.auth.verifyOtp({ code: newCode })).status).toBe('verified');
			}
		});
	});

	describe('ending the pending session against verify', () => {
		it('logout of the pending session racing verifyOtp, 5 staggered rounds and one after [no verified session survives]', async () => {
			for (const delay of [...LOGOUT_DELAY_MS, 'after promotion'] as const) {
				const user = await seedUser(api.db);
				const { pending, code } = await api.startSignIn(user);
				// Both requests were authenticated as the pending session before either ran.
				const verifier = await api.callerFor(pending);
				const leaver = await api.callerFor(pending);
				const verify = verifier.auth.verifyOtp({ code });
				if (delay === 'after promotion') await verify.catch(() => null);
				else await sleep(delay);
				const [verified, loggedOut] = await outcomesOf([verify, leaver.auth.logout()]);
				expect(loggedOut, `delay ${delay}`).toBe('OK');
				expect(await sessionsOf(user.id), `delay ${delay}, verify ${verified}`).toEqual([]);
			}
		});

		it('password change from another session racing verifyOtp, 6 staggered rounds [no session from the pending one survives]', async () => {
			for (const round of HASH_DELAY_MS.keys()) {
				const user = await seedUser(api.db);
				const mine = await api.signIn(user);
				const { pending, code } = await api.startSignIn(user);
				const owner = await api.callerFor(mine);
				const intruder = await api.callerFor(pending);
				let verify: Promise<unknown> = Promise.resolve();
				passwordHooks.beforeHash = () => {
					verify = sleep(HASH_DELAY_MS[round]!).then(() => intruder.auth.verifyOtp({ code }));
				};
				const [changed] = await outcomesOf([
					owner.account.changePassword({
						current: user.password,
						next: `${user.password} changed`
					})
				]);
				passwordHooks.beforeHash = null;
				const [verified] = await outcomesOf([verify]);
				expect(changed, `round ${round}, verify ${verified}`).toBe('OK');
				expect(
					(await sessionsOf(user.id)).map((s) => s.id),
					`round ${round}, verify ${verified}`
				).toEqual([sha256Hex(mine)]);
			}
		});
	});
});
