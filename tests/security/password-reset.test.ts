// Attacks on "forgot password" (issue 18), through the procedures on both databases: links that
// must not work (reused, expired, forged, another user's, made before a password change, of
// another purpose), enumeration through the answer's wording and timing, floods, two submissions
// of one link at once, and wrong second factors, which spend the sign-in's failure budget.
import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { issueLink } from '$lib/server/auth/account-links';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import { getPolicy, type AuthPolicy } from '$lib/server/auth/policy';
import { advanceClock, errorOf, useApiHarness } from '../helpers/api-harness';
import { resetMailsTo, waitForResetLink } from '../helpers/password-reset';
import { failuresOf } from '../helpers/security-keys';
import { enrolTotp, totpCode, STEP_MS } from '../helpers/totp';
import { dialects } from '../../tools/databases';
import { seedUser, type SeededUser } from '../../tools/sign-in';

vi.hoisted(() => {
	process.env.ORIGIN = 'https://admin.example.test';
});

const NEW_PASSWORD = 'a brand new long password';
const policy = getPolicy();

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

describe.each(dialects)('password reset attacks (%s)', (dialect) => {
	const api = useApiHarness(dialect);
	/** Each test asks from its own network, so the per-address limit of one is not another's. */
	let network = 10;
	const nextIp = () => `198.51.${network++}.1`;

	async function linkFor(user: SeededUser, ip = nextIp()) {
		const anonymous = await api.callerFor(null, { ip });
		await anonymous.auth.forgotPassword({ login: user.username });
		return (await waitForResetLink(api.sink, user.email!)).token;
	}

	const passwordHashOf = async (userId: string) =>
		(
			await api.db
				.selectFrom('users')
				.select('password_hash')
				.where('id', '=', userId)
				.executeTakeFirstOrThrow()
		).password_hash;

	/** An account with backup tokens only besides email: the reset takes a backup token. */
	async function userWithTokens(count = 3) {
		const user = await seedUser(api.db);
		const tokens = await insertBackupTokens(api.db, user.id, count);
		return { user, tokens };
	}

	const complete = async (token: string, code: string, password = NEW_PASSWORD) =>
		(await api.callerFor(null)).auth.passwordReset.complete({
			token,
			password,
			code,
			method: 'backup_token'
		});

	describe('links that must not work', () => {
		it('a used link is refused the second time, and changes nothing', async () => {
			const { user, tokens } = await userWithTokens();
			const token = await linkFor(user);
			await complete(token, tokens[0]!);
			const hash = await passwordHashOf(user.id);
			const again = await errorOf(complete(token, tokens[1]!, 'yet another long password'));
			expect(again.code).toBe('NOT_FOUND');
			expect(again.message).toContain('not valid');
			expect(await passwordHashOf(user.id)).toBe(hash);
			expect(await failuresOf(api.db, user.id)).toBe(0);
		});

		it('an expired link (after 30 minutes) is refused', async () => {
			const { user, tokens } = await userWithTokens();
			const token = await linkFor(user);
			const hash = await passwordHashOf(user.id);
			advanceClock(30 * 60_000 + 1000);
			const anonymous = await api.callerFor(null);
			expect((await errorOf(anonymous.auth.passwordReset.describe({ token }))).code).toBe(
				'NOT_FOUND'
			);
			expect((await errorOf(complete(token, tokens[0]!))).code).toBe('NOT_FOUND');
			expect(await passwordHashOf(user.id)).toBe(hash);
		});

		it('a forged token of the right shape is unknown; a wrong shape is bad input', async () => {
			const anonymous = await api.callerFor(null);
			const forged = randomBytes(32).toString('base64url');
			expect((await errorOf(anonymous.auth.passwordReset.describe({ token: forged }))).code).toBe(
				'NOT_FOUND'
			);
			expect((await errorOf(complete(forged, 'abcd-efgh-ijkl-mnop'))).code).toBe('NOT_FOUND');
			for (const token of ["x' OR 1=1 --", 'a'.repeat(44), '']) {
				expect((await errorOf(anonymous.auth.passwordReset.describe({ token }))).code).toBe(
					'BAD_REQUEST'
				);
			}
		});

		it("another user's link sets only that user's password, and only with that user's factor", async () => {
			const alice = await userWithTokens();
			const bob = await userWithTokens();
			const aliceLink = await linkFor(alice.user);
			const bobHash = await passwordHashOf(bob.user.id);
			// Bob's backup token is no factor of Alice's: a wrong factor, counted on Alice.
			const refused = await errorOf(complete(aliceLink, bob.tokens[0]!));
			expect(refused.code).toBe('UNAUTHORIZED');
			expect(await failuresOf(api.db, alice.user.id)).toBe(1);
			await complete(aliceLink, alice.tokens[0]!);
			expect(await passwordHashOf(bob.user.id)).toBe(bobHash);
			// Bob's token was not spent by the refusal.
			expect(
				await api.db
					.selectFrom('backup_tokens')
					.select('id')
					.where('user_id', '=', bob.user.id)
					.execute()
			).toHaveLength(3);
		});

		it('a link used after the password was changed (by its owner or an admin) is refused', async () => {
			const { user, tokens } = await userWithTokens();
			const token = await linkFor(user);
			const session = await api.callerFor(await api.signIn(user));
			await session.account.changePassword({ current: user.password, next: NEW_PASSWORD });
			const hash = await passwordHashOf(user.id);
			expect((await errorOf(complete(token, tokens[0]!, 'the attacker password'))).code).toBe(
				'NOT_FOUND'
			);
			expect(await passwordHashOf(user.id)).toBe(hash);

			const admin = await seedUser(api.db, { role: 'admin' });
			const adminCaller = await api.callerFor(await api.signIn(admin));
			const second = await linkFor(user);
			await adminCaller.users.setPassword({ id: user.id, password: 'set by the administrator' });
			expect((await errorOf(complete(second, tokens[0]!))).code).toBe('NOT_FOUND');
		});

		it('a link mailed before the account email changed is refused', async () => {
			const { user, tokens } = await userWithTokens();
			const token = await linkFor(user);
			await api.db
				.updateTable('users')
				.set({ email: `moved-${user.email}` })
				.where('id', '=', user.id)
				.execute();
			expect((await errorOf(complete(token, tokens[0]!))).code).toBe('NOT_FOUND');
		});

		it('an invitation or email-change link is no reset link', async () => {
			const { user, tokens } = await userWithTokens();
			const anonymous = await api.callerFor(null);
			for (const purpose of ['invite', 'email'] as const) {
				const link = await issueLink(api.db, {
					purpose,
					userId: user.id,
					email: user.email!,
					createdBy: null,
					ttlMs: 60 * 60_000
				});
				expect(
					(await errorOf(anonymous.auth.passwordReset.describe({ token: link.token }))).code
				).toBe('NOT_FOUND');
				expect((await errorOf(complete(link.token, tokens[0]!))).code).toBe('NOT_FOUND');
			}
			expect(await failuresOf(api.db, user.id)).toBe(0);
		});

		it('a newer link revokes the older one', async () => {
			const { user, tokens } = await userWithTokens();
			const older = await linkFor(user);
			const newer = await linkFor(user);
			expect((await errorOf(complete(older, tokens[0]!))).code).toBe('NOT_FOUND');
			await complete(newer, tokens[0]!);
		});
	});

	describe('enumeration', () => {
		it('known, unknown, deactivated and locked accounts get the same answer, in the same time (medians reported)', async () => {
			const known = await seedUser(api.db);
			const inactive = await seedUser(api.db);
			const locked = await seedUser(api.db);
			await api.db
				.updateTable('users')
				.set({ is_active: 0 })
				.where('id', '=', inactive.id)
				.execute();
			await api.db
				.updateTable('users')
				.set({ locked_at: Date.now() })
				.where('id', '=', locked.id)
				.execute();
			const logins = {
				known: () => known.username,
				unknown: () => `nobody-${randomBytes(4).toString('hex')}`,
				inactive: () => inactive.username,
				locked: () => locked.username
			};
			type Path = keyof typeof logins;
			const times: Record<Path, number[]> = { known: [], unknown: [], inactive: [], locked: [] };
			const answers = new Set<string>();
			// Interleaved, each from its own network so no limit is what answers; `known` stays under
			// its per-account limit (10 an hour): 8 rounds.
			for (let round = 0; round < 8; round++) {
				for (const path of Object.keys(logins) as Path[]) {
					const caller = await api.callerFor(null, { ip: nextIp() });
					const started = performance.now();
					const answer = await caller.auth.forgotPassword({ login: logins[path]() });
					times[path].push(performance.now() - started);
					answers.add(JSON.stringify(answer));
				}
			}
			expect([...answers]).toEqual([JSON.stringify({ ok: true })]);
			const medians = Object.fromEntries(
				Object.entries(times).map(([path, values]) => [path, Math.round(median(values) * 10) / 10])
			) as Record<Path, number>;
			console.log(`[forgot-password timing, ${dialect}] medians in ms:`, JSON.stringify(medians));
			// Every answer waits for the floor; the medians differ by far less than the work the
			// floor hides (generous: a busy CI machine must not make this flaky).
			for (const path of Object.keys(logins) as Path[]) {
				expect(Math.min(...times[path])).toBeGreaterThanOrEqual(
					policy.passwordReset.answerFloorMs - 5
				);
				expect(Math.abs(medians[path] - medians.unknown)).toBeLessThan(100);
			}
			expect(resetMailsTo(api.sink, known.email!)).toHaveLength(8);
			expect(resetMailsTo(api.sink, inactive.email!)).toHaveLength(0);
			expect(resetMailsTo(api.sink, locked.email!)).toHaveLength(0);
		});

		it('without the floor, the work itself differs little (figures reported, not asserted)', async () => {
			const known = await seedUser(api.db);
			const noFloor: AuthPolicy = {
				...policy,
				passwordReset: { ...policy.passwordReset, answerFloorMs: 0, perAccount: 100 }
			};
			const times = { known: [] as number[], unknown: [] as number[] };
			for (let round = 0; round < 10; round++) {
				for (const path of ['known', 'unknown'] as const) {
					const caller = await api.callerFor(null, { ip: nextIp(), policy: noFloor });
					const login = path === 'known' ? known.email! : `nobody${round}@example.com`;
					const started = performance.now();
					await caller.auth.forgotPassword({ login });
					times[path].push(performance.now() - started);
				}
			}
			console.log(
				`[forgot-password work without floor, ${dialect}] medians in ms: known ${median(times.known).toFixed(1)}, unknown ${median(times.unknown).toFixed(1)}`
			);
			expect(times.known).toHaveLength(10);
		});
	});

	describe('floods', () => {
		it('many requests for one address: a few mails, the same answer to all, and the owner still signs in', async () => {
			const victim = await seedUser(api.db);
			const ip = nextIp();
			const caller = await api.callerFor(null, { ip });
			const answers = new Set<string>();
			for (let i = 0; i < 12; i++) {
				answers.add(JSON.stringify(await caller.auth.forgotPassword({ login: victim.email! })));
			}
			expect([...answers]).toEqual([JSON.stringify({ ok: true })]);
			await new Promise((resolve) => setTimeout(resolve, 300));
			// One network may ask three times an hour for one account.
			expect(resetMailsTo(api.sink, victim.email!)).toHaveLength(
				policy.passwordReset.perAccountAndAddress
			);
			// From many networks: at most `perAccount` an hour in all.
			for (let i = 0; i < 12; i++) {
				await (
					await api.callerFor(null, { ip: nextIp() })
				).auth.forgotPassword({
					login: victim.username
				});
			}
			await new Promise((resolve) => setTimeout(resolve, 300));
			expect(resetMailsTo(api.sink, victim.email!)).toHaveLength(policy.passwordReset.perAccount);

			// Nothing of it touched the sign-in: no failure, no lock, and the password signs in.
			const row = await api.db
				.selectFrom('users')
				.select(['otp_failures', 'locked_at'])
				.where('id', '=', victim.id)
				.executeTakeFirstOrThrow();
			expect(row).toEqual({ otp_failures: 0, locked_at: null });
			expect(await api.signIn(victim)).toMatch(/^[a-z2-7]{40}$/);
		});

		it('one network past its limit gets the same answer and sends nothing for anyone', async () => {
			const ip = nextIp();
			const users = await Promise.all(Array.from({ length: 3 }, () => seedUser(api.db)));
			const caller = await api.callerFor(null, { ip });
			for (let i = 0; i < policy.passwordReset.perAddress; i++) {
				await caller.auth.forgotPassword({ login: `nobody-${i}` });
			}
			for (const user of users) {
				expect(await caller.auth.forgotPassword({ login: user.username })).toEqual({ ok: true });
			}
			await new Promise((resolve) => setTimeout(resolve, 300));
			for (const user of users) expect(resetMailsTo(api.sink, user.email!)).toHaveLength(0);
		});
	});

	it('two submissions of one link at once: exactly one sets its password, the other changes nothing', async () => {
		const { user, tokens } = await userWithTokens();
		const token = await linkFor(user);
		const results = await Promise.allSettled([
			complete(token, tokens[0]!, 'first long new password'),
			complete(token, tokens[1]!, 'second long new password')
		]);
		expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
		const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
		expect(lost.reason.code).toBe('NOT_FOUND');
		const winner = results.findIndex((r) => r.status === 'fulfilled');
		// The loser's backup token is still there, and it is no wrong factor: not audited as one (its
		// reserved try may stay counted, as a sign-in race's does, until the next good factor).
		expect(
			await api.db.selectFrom('backup_tokens').select('id').where('user_id', '=', user.id).execute()
		).toHaveLength(2);
		expect(await failuresOf(api.db, user.id)).toBeLessThanOrEqual(1);
		expect(
			await api.db
				.selectFrom('audit_log')
				.select('event')
				.where('subject_id', '=', user.id)
				.where('event', 'in', ['password.reset_failed', 'password.reset'])
				.execute()
		).toEqual([{ event: 'password.reset' }]);
		const password = winner === 0 ? 'first long new password' : 'second long new password';
		expect((await api.login({ ...user, password })).status).toBe('otp_required');
	});

	it('wrong second factors count toward the account’s budget, as at sign-in, and are audited', async () => {
		const user = await seedUser(api.db);
		const { secret } = await enrolTotp(await api.callerFor(await api.signIn(user)));
		const token = await linkFor(user);
		const anonymous = await api.callerFor(null);
		const wrong = (code: string) =>
			errorOf(
				anonymous.auth.passwordReset.complete({
					token,
					password: NEW_PASSWORD,
					code,
					method: 'totp'
				})
			);
		const right = totpCode(secret, 1);
		const bad = right === '000000' ? '111111' : '000000';
		// The account's backoff and the reset's own tries both start at the fifth wrong code.
		expect(policy.otp.maxAttemptsPerCode).toBe(policy.otp.backoffAfterFailures);
		for (let i = 0; i < policy.otp.backoffAfterFailures - 1; i++) {
			expect((await wrong(bad)).code).toBe('UNAUTHORIZED');
		}
		expect(await failuresOf(api.db, user.id)).toBe(policy.otp.backoffAfterFailures - 1);
		// The fifth failure starts the backoff shared with sign-in, and (the reset's tries used up, as
		// a sign-in's would be) ends this reset: its link no longer works.
		const fifth = await wrong(bad);
		expect(fifth.code).toBe('UNAUTHORIZED');
		expect(fifth.message).toBe(
			'Too many wrong tries: this reset link no longer works. Ask for a new one'
		);
		expect((await wrong(right)).code).toBe('NOT_FOUND');
		const pending = await api.login(user);
		const signInTry = await errorOf(
			(await api.callerFor(pending.sessionToken!)).auth.verifyOtp({ code: bad, method: 'totp' })
		);
		expect(signInTry.code).toBe('TOO_MANY_REQUESTS');
		const failed = await api.db
			.selectFrom('audit_log')
			.select('event')
			.where('subject_id', '=', user.id)
			.where('event', '=', 'password.reset_failed')
			.execute();
		expect(failed).toHaveLength(policy.otp.backoffAfterFailures);
		// A new link, after the wait: the right code works.
		advanceClock(STEP_MS + 2000);
		const again = await linkFor(user);
		await anonymous.auth.passwordReset.complete({
			token: again,
			password: NEW_PASSWORD,
			code: totpCode(secret),
			method: 'totp'
		});
		expect(await failuresOf(api.db, user.id)).toBe(0);
	});
});
