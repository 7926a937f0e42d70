// Guessing the second step (and the password) while dodging the counters: resends, new password
// logins, several pending sessions, other client addresses, other spellings of the procedure's
// path, batches. Every route must land on the same counters (read from the database) and answer
// TOO_MANY_REQUESTS with retryAfter at exactly the documented count (README, "Sign-in and its
// limits"; src/lib/server/auth/policy.ts).
import { randomBytes } from 'node:crypto';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPolicy } from '$lib/server/auth/policy';
import { sha256Hex } from '$lib/server/auth/crypto';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import type { Database } from '$lib/server/db/schema';
import { TooManyRequestsError } from '$lib/server/errors';
import type { Kysely } from 'kysely';
import { advanceClock, errorOf, useApiHarness, type Caller } from '../helpers/api-harness';
import { startAppServer, type AppServer } from '../../tools/app-server';
import { createMigratedDatabase, dialects, type TestDatabase } from '../../tools/databases';
import { seedUser, trpcMutation, waitForCode, type SeededUser } from '../../tools/sign-in';

const policy = getPolicy();
const { otp } = policy;
const HOUR = 60 * 60 * 1000;
const WRONG_CODE = '0'.repeat(otp.length);
/** A well-formed backup token that nobody minted. */
const WRONG_TOKEN = 'aaaa-bbbb-cccc-dddd';

async function budgetOf(db: Kysely<Database>, userId: string) {
	return db
		.selectFrom('users')
		.select(['otp_failures', 'otp_blocked_until', 'locked_at'])
		.where('id', '=', userId)
		.executeTakeFirstOrThrow();
}

/** Attempts spent on the session's live code, or null when it has none. */
async function codeAttemptsOf(db: Kysely<Database>, pendingToken: string) {
	const row = await db
		.selectFrom('email_otps')
		.select('attempts')
		.where('session_id', '=', sha256Hex(pendingToken))
		.executeTakeFirst();
	return row?.attempts ?? null;
}

describe.each(dialects)('guessing the second step through the API on %s', (dialect) => {
	const api = useApiHarness(dialect);

	/** A pending session of the user and its caller; the emailed code when one went out. */
	async function pendingSession(user: SeededUser) {
		const started = await api.login(user);
		const mail = started.codeSent ? await waitForCode(api.sink, user.email!) : null;
		const token = started.sessionToken!;
		return { token, caller: await api.callerFor(token), code: mail?.code ?? null };
	}

	async function guess(caller: Caller, code = WRONG_CODE) {
		return errorOf(caller.auth.verifyOtp({ code }));
	}

	/** The refusal must be TOO_MANY_REQUESTS saying exactly how long to wait. */
	function expectThrottled(error: Awaited<ReturnType<typeof guess>>, retryAfterSeconds: number) {
		expect(error.code).toBe('TOO_MANY_REQUESTS');
		expect((error.cause as TooManyRequestsError).retryAfterSeconds).toBe(retryAfterSeconds);
	}

	describe('across resends', () => {
		it('3 wrong codes, a resend, 2 more wrong codes [failures not reset: the 6th try TOO_MANY_REQUESTS, retryAfter 1]', async () => {
			const user = await seedUser(api.db);
			const { token, caller } = await pendingSession(user);
			for (let i = 0; i < 3; i++) expect((await guess(caller)).code).toBe('UNAUTHORIZED');
			advanceClock(otp.resendCooldownMs);
			await caller.auth.resendOtp();
			await waitForCode(api.sink, user.email!);
			expect((await budgetOf(api.db, user.id)).otp_failures).toBe(3);
			// The new code has its own attempts; the account's budget is what a resend cannot refill.
			expect(await codeAttemptsOf(api.db, token)).toBe(0);

			for (let i = 0; i < 2; i++) expect((await guess(caller)).code).toBe('UNAUTHORIZED');
			expectThrottled(await guess(caller), 1);
			expect((await budgetOf(api.db, user.id)).otp_failures).toBe(otp.backoffAfterFailures);
		});

		it('a code burned by 5 wrong tries, then a fresh code by resend [backoff goes on: 2 s after the 6th failure, 4 s after the 7th]', async () => {
			const user = await seedUser(api.db);
			const { caller } = await pendingSession(user);
			for (let i = 0; i < otp.maxAttemptsPerCode; i++) await guess(caller);
			advanceClock(otp.resendCooldownMs);
			await caller.auth.resendOtp();
			const { code } = await waitForCode(api.sink, user.email!);

			expect((await guess(caller)).code).toBe('UNAUTHORIZED');
			expectThrottled(await guess(caller), 2);
			advanceClock(2000);
			expect((await guess(caller)).code).toBe('UNAUTHORIZED');
			expectThrottled(await guess(caller, code), 4);
			expect((await budgetOf(api.db, user.id)).otp_failures).toBe(7);
		});

		it('a 6th code within the hour by resend [TOO_MANY_REQUESTS; the live code keeps working]', async () => {
			// Fixed hourly windows: start at the top of one so the cooldowns below stay inside it.
			advanceClock(HOUR - (Date.now() % HOUR) + 1000);
			const user = await seedUser(api.db);
			const { caller } = await pendingSession(user);
			let code = '';
			for (let sent = 1; sent < otp.maxSendsPerHour; sent++) {
				advanceClock(otp.resendCooldownMs);
				await caller.auth.resendOtp();
				({ code } = await waitForCode(api.sink, user.email!));
			}
			advanceClock(otp.resendCooldownMs);
			const refused = await errorOf(caller.auth.resendOtp());
			expect(refused.code).toBe('TOO_MANY_REQUESTS');
			expect((refused.cause as TooManyRequestsError).retryAfterSeconds).toBeGreaterThan(0);
			expect((await caller.auth.verifyOtp({ code })).status).toBe('verified');
		});
	});

	describe('across new password logins', () => {
		it("one wrong code from each of 5 fresh password logins [failures 5: then even the last login's right code TOO_MANY_REQUESTS, retryAfter 1]", async () => {
			const user = await seedUser(api.db);
			let last = await pendingSession(user);
			for (let i = 0; i < otp.backoffAfterFailures; i++) {
				if (i > 0) last = await pendingSession(user);
				expect((await guess(last.caller)).code).toBe('UNAUTHORIZED');
				expect(await codeAttemptsOf(api.db, last.token)).toBe(1);
			}
			expect((await budgetOf(api.db, user.id)).otp_failures).toBe(otp.backoffAfterFailures);
			expectThrottled(await guess(last.caller, last.code!), 1);
		});

		it('the 100th failure, then a new password login [locked: the login answers UNAUTHORIZED like a wrong password]', async () => {
			const user = await seedUser(api.db);
			const { caller } = await pendingSession(user);
			await api.db
				.updateTable('users')
				.set({ otp_failures: otp.lockAfterFailures - 1 })
				.where('id', '=', user.id)
				.execute();
			expect((await guess(caller)).code).toBe('UNAUTHORIZED');
			expect((await budgetOf(api.db, user.id)).locked_at).not.toBeNull();

			const refused = await errorOf(api.login(user));
			expect(refused.code).toBe('UNAUTHORIZED');
			expect(refused.message).toBe('Wrong username or password');
		});
	});

	describe('across pending sessions of one account', () => {
		it('one wrong code from each of 5 open pending sessions [failures counted per account: then even a right code TOO_MANY_REQUESTS, retryAfter 1]', async () => {
			const user = await seedUser(api.db);
			const sessions = [];
			for (let i = 0; i < otp.backoffAfterFailures; i++) sessions.push(await pendingSession(user));
			for (const { token, caller } of sessions) {
				expect((await guess(caller)).code).toBe('UNAUTHORIZED');
				expect(await codeAttemptsOf(api.db, token)).toBe(1);
			}
			const first = sessions[0]!;
			expectThrottled(await guess(first.caller, first.code!), 1);
			expect((await budgetOf(api.db, user.id)).otp_failures).toBe(otp.backoffAfterFailures);
		});

		it('wrong backup tokens mixed with wrong codes from two sessions [one counter: the 6th TOO_MANY_REQUESTS]', async () => {
			const user = await seedUser(api.db);
			await insertBackupTokens(api.db, user.id, 2);
			const a = await pendingSession(user);
			const b = await pendingSession(user);
			for (const [caller, input] of [
				[a.caller, WRONG_CODE],
				[b.caller, WRONG_TOKEN],
				[a.caller, WRONG_TOKEN],
				[b.caller, WRONG_CODE],
				[a.caller, WRONG_TOKEN]
			] as const) {
				expect((await guess(caller, input)).code).toBe('UNAUTHORIZED');
			}
			expectThrottled(await guess(b.caller, WRONG_TOKEN), 1);
			expect((await budgetOf(api.db, user.id)).otp_failures).toBe(otp.backoffAfterFailures);
		});
	});

	describe('the backoff', () => {
		it('waiting out each backoff exactly, fresh login each time [one try per wait; retryAfter doubles from 1 s to the 15 min cap]', async () => {
			const user = await seedUser(api.db);
			let { caller } = await pendingSession(user);
			advanceClock(0); // the clock stands still but for the waits below
			for (let i = 0; i < otp.backoffAfterFailures; i++) await guess(caller);

			for (let failures = otp.backoffAfterFailures; ; failures++) {
				const wait = Math.min(2 ** (failures - otp.backoffAfterFailures), 15 * 60) * 1000;
				expectThrottled(await guess(caller), wait / 1000);
				if (wait === otp.maxBackoffMs) break;
				advanceClock(wait - 1);
				expect((await guess(caller)).code).toBe('TOO_MANY_REQUESTS');
				advanceClock(1);
				// A pending session lives 10 minutes: long waits need a new password login.
				({ caller } = await pendingSession(user));
				expect((await guess(caller)).code).toBe('UNAUTHORIZED');
				expect((await budgetOf(api.db, user.id)).otp_failures).toBe(failures + 1);
			}
			expect((await budgetOf(api.db, user.id)).otp_failures).toBe(15);
		});
	});
});

describe.each(dialects)('guessing over HTTP against the production build on %s', (dialect) => {
	let database: TestDatabase;
	let proxied: TestDatabase;
	/** Takes client addresses from the socket, as deployed without a proxy. */
	let direct: AppServer;
	/** Trusts one proxy: the last X-Forwarded-For entry is the client. */
	let behindProxy: AppServer;

	beforeAll(async () => {
		[database, proxied] = await Promise.all([
			createMigratedDatabase(dialect),
			createMigratedDatabase(dialect)
		]);
		[direct, behindProxy] = await Promise.all([
			startAppServer({ DATABASE_URL: database.url }),
			startAppServer({
				DATABASE_URL: proxied.url,
				ADDRESS_HEADER: 'x-forwarded-for',
				XFF_DEPTH: '1'
			})
		]);
	});
	afterAll(async () => {
		await Promise.all([direct?.stop(), behindProxy?.stop()]);
		await Promise.all([database?.drop(), proxied?.drop()]);
	});

	const login = (server: AppServer, username: string, password: string, xff?: string) =>
		trpcMutation<{ sessionToken: string }>(server.origin, 'auth.login', {
			input: { username, password, tokenType: 'bearer' },
			headers: xff ? { 'x-forwarded-for': xff } : {}
		});

	/** Behind the trusted proxy every request must carry the header (adapter-node refuses else). */
	async function pendingToken(server: AppServer, user: SeededUser, xff?: string): Promise<string> {
		const reply = await login(server, user.username, user.password, xff);
		expect(reply.status).toBe(200);
		return reply.data!.sessionToken;
	}

	const randomHex = () => randomBytes(2).toString('hex');

	describe('across client addresses', () => {
		it('5 wrong passwords for one name, a new X-Forwarded-For each time, no proxy trusted [header ignored: the 6th TOO_MANY_REQUESTS]', async () => {
			const user = await seedUser(database.db);
			for (let i = 1; i <= policy.login.perUsernameAndAddress; i++) {
				const reply = await login(direct, user.username, 'wrong password', `198.51.100.${i}`);
				expect(reply.error?.code).toBe('UNAUTHORIZED');
			}
			const limited = await login(direct, user.username, user.password, '198.51.100.99');
			expect(limited.error?.code).toBe('TOO_MANY_REQUESTS');
			expect(limited.error?.retryAfter).toBeGreaterThan(0);
			expect(limited.error?.retryAfter).toBeLessThanOrEqual(policy.login.windowMs / 1000);

			const buckets = await database.db
				.selectFrom('rate_limits')
				.select('bucket')
				.where('bucket', 'like', 'pw:addr:%')
				.execute();
			expect(buckets.map((b) => b.bucket)).toEqual(['pw:addr:127.0.0.1']);
		});

		it('20 wrong passwords for 20 names from IPv6 addresses rotated within one /64, proxy trusted [one address counter: the 21st TOO_MANY_REQUESTS; another /64 is not limited]', async () => {
			const prefix = '2001:db8:4:7';
			for (let i = 0; i < policy.login.perAddress; i++) {
				const xff = `${prefix}:${randomHex()}:${randomHex()}::${i + 1}`;
				const reply = await login(behindProxy, `nobody-${i}`, 'wrong password', xff);
				expect(reply.error?.code).toBe('UNAUTHORIZED');
			}
			const limited = await login(behindProxy, 'nobody-new', 'wrong password', `${prefix}::beef`);
			expect(limited.error?.code).toBe('TOO_MANY_REQUESTS');
			expect(limited.error?.retryAfter).toBeGreaterThan(0);

			// The header is really used: a neighbour in the next /64 has a counter of its own.
			const neighbour = await login(behindProxy, 'nobody-new', 'wrong password', '2001:db8:4:8::1');
			expect(neighbour.error?.code).toBe('UNAUTHORIZED');
			const row = await proxied.db
				.selectFrom('rate_limits')
				.select('hits')
				.where('bucket', '=', `pw:addr:${prefix}::/64`)
				.executeTakeFirstOrThrow();
			// The refused 21st found the window full and wrote nothing.
			expect(row.hits).toBe(policy.login.perAddress);
		});

		it('wrong codes from 6 client addresses, proxy trusted [one account counter: the 6th TOO_MANY_REQUESTS, retryAfter 1]', async () => {
			const user = await seedUser(proxied.db);
			const token = await pendingToken(behindProxy, user, '192.0.2.1');
			const addresses = ['192.0.2.1', '192.0.2.2', '2001:db8:9::1', '2001:db8:a::1', '10.1.2.3'];
			for (const address of addresses) {
				const reply = await verify(behindProxy, token, WRONG_CODE, { 'x-forwarded-for': address });
				expect(reply.error?.code).toBe('UNAUTHORIZED');
			}
			const limited = await verify(behindProxy, token, WRONG_CODE, {
				'x-forwarded-for': '203.0.113.200'
			});
			expect(limited.error?.code).toBe('TOO_MANY_REQUESTS');
			expect(limited.error?.retryAfter).toBe(1);
			expect((await budgetOf(proxied.db, user.id)).otp_failures).toBe(otp.backoffAfterFailures);
		});
	});

	function verify(server: AppServer, token: string, code: string, headers: Record<string, string>) {
		return trpcMutation(server.origin, 'auth.verifyOtp', {
			input: { code },
			headers: { authorization: `Bearer ${token}`, ...headers }
		});
	}

	/** A raw POST of tRPC-shaped JSON to any path, as an attacker spells it. */
	async function post(server: AppServer, path: string, token: string, body: unknown) {
		const response = await fetch(server.origin + path, {
			method: 'POST',
			headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
			body: JSON.stringify(body)
		});
		return { status: response.status, body: await response.text() };
	}

	/** A batch as @trpc/client's httpBatchLink sends it: paths joined by commas, inputs by index. */
	async function verifyBatch(token: string, codes: string[]) {
		const path = `/trpc/${codes.map(() => 'auth.verifyOtp').join(',')}?batch=1`;
		const body = Object.fromEntries(codes.map((code, i) => [i, superjson.serialize({ code })]));
		const reply = await post(direct, path, token, body);
		const items = JSON.parse(reply.body) as Array<{ error?: { json: { data: unknown } } }>;
		return {
			status: reply.status,
			errors: Array.isArray(items)
				? items.map((item) => item.error?.json.data as { code: string; retryAfter?: number })
				: []
		};
	}

	describe('across path spellings', () => {
		// Each spelling of auth.verifyOtp either finds no procedure (404, nothing counted) or is
		// the procedure itself (counted on the same account counter).
		const spellings: Array<[path: string, counts: boolean]> = [
			['/trpc/auth.verifyOtp', true],
			['/trpc/auth.verifyOtp?batch=1', true],
			['/trpc/auth.verifyOtp/', false],
			['/trpc//auth.verifyOtp', false],
			['//trpc/auth.verifyOtp', false],
			['/trpc/auth%2EverifyOtp', false],
			['/trpc/auth%2everifyOtp', false],
			['/trpc/AUTH.VERIFYOTP', false],
			['/trpc/auth.verifyotp', false],
			['/TRPC/auth.verifyOtp', false],
			['/trpc/auth.verifyOtp%20', false]
		];

		it('wrong codes posted to 11 spellings of /trpc/auth.verifyOtp [404 and not counted, or counted on the one account counter]', async () => {
			const user = await seedUser(database.db);
			const token = await pendingToken(direct, user);
			let counted = 0;
			for (const [path, counts] of spellings) {
				const input = superjson.serialize({ code: WRONG_CODE });
				const reply = await post(
					direct,
					path,
					token,
					path.includes('batch') ? { 0: input } : input
				);
				if (counts) counted++;
				expect({ path, status: reply.status }).toEqual({ path, status: counts ? 401 : 404 });
				expect((await budgetOf(database.db, user.id)).otp_failures).toBe(counted);
			}
		});
	});

	describe('across batched calls', () => {
		it('a batch of 4 wrong codes, then a batch of 4 more [counts 4, then stops at 5: 1 more UNAUTHORIZED, 3 TOO_MANY_REQUESTS with retryAfter 1]', async () => {
			const user = await seedUser(database.db);
			const token = await pendingToken(direct, user);
			const first = await verifyBatch(token, Array(4).fill(WRONG_CODE));
			expect(first.errors.map((e) => e.code)).toEqual(Array(4).fill('UNAUTHORIZED'));
			expect((await budgetOf(database.db, user.id)).otp_failures).toBe(4);

			const second = await verifyBatch(token, Array(4).fill(WRONG_CODE));
			const codes = second.errors.map((e) => e.code).sort();
			expect(codes).toEqual([...Array(3).fill('TOO_MANY_REQUESTS'), 'UNAUTHORIZED']);
			for (const error of second.errors.filter((e) => e.code === 'TOO_MANY_REQUESTS')) {
				expect(error.retryAfter).toBe(1);
			}
			expect((await budgetOf(database.db, user.id)).otp_failures).toBe(otp.backoffAfterFailures);
		});

		it('a batch of 11 wrong codes, one over the batch limit [400 before any call runs; counts nothing]', async () => {
			const user = await seedUser(database.db);
			const token = await pendingToken(direct, user);
			const reply = await verifyBatch(token, Array(11).fill(WRONG_CODE));
			expect(reply.status).toBe(400);
			expect((await budgetOf(database.db, user.id)).otp_failures).toBe(0);
		});
	});
});
