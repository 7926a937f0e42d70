// Unauthenticated argon2 work through first-run setup: `setup.complete` is public, and a password
// hash costs tens of milliseconds of a few threads. No call may hash before the cheap checks pass
// (a live link, no users yet), and one client address gets a few tries per window, so a flood of
// it cannot make real sign-ins answer "server busy".
import { TRPCError } from '@trpc/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { getPolicy } from '$lib/server/auth/policy';
import { openSetup } from '$lib/server/services/setup';
import { createContextInner } from '$lib/server/trpc/context';
import { createCaller } from '$lib/server/trpc/router';
import { createMigratedDatabase, dialects, type TestDatabase } from '../../tools/databases';
import { testDeps } from '../../tools/service-deps';

// Counts the hashes: what the flood makes the server do, not only what it answers.
const hashing = vi.hoisted(() => ({ calls: 0 }));
vi.mock('$lib/server/auth/password', async (importOriginal) => {
	const actual = await importOriginal<typeof import('$lib/server/auth/password')>();
	return {
		...actual,
		hashPassword: (password: string) => {
			hashing.calls++;
			return actual.hashPassword(password);
		}
	};
});

const policy = getPolicy();
const admin = { username: 'root-admin', email: 'root@example.com', password: 'a long passphrase' };

describe.each(dialects)('first-run setup flooded on %s', (dialect) => {
	let database: TestDatabase;
	beforeEach(async () => {
		database = await createMigratedDatabase(dialect);
		hashing.calls = 0;
	});
	afterEach(() => database.drop());

	const caller = (ip = '198.51.100.9') =>
		createCaller(
			createContextInner({ db: database.db, dialect, mailer: {} as never, clientAddress: ip })
		);

	async function codeOf(call: Promise<unknown>): Promise<string> {
		return call.then(
			() => 'OK',
			(error: unknown) => (error instanceof TRPCError ? error.code : String(error))
		);
	}

	it('setup.complete with a wrong link, 50 times while setup is open [NOT_FOUND each; no password hashed]', async () => {
		await openSetup(testDeps(database.db), policy.setupTokenTtlMs);
		for (let i = 0; i < 50; i++) {
			expect(await codeOf(caller().setup.complete({ token: `guess-${i}`, ...admin }))).toBe(
				'NOT_FOUND'
			);
		}
		expect(hashing.calls).toBe(0);
	});

	it('setup.complete after setup is done, with the spent link, 50 times [NOT_FOUND each; no password hashed]', async () => {
		const token = (await openSetup(testDeps(database.db), policy.setupTokenTtlMs))!;
		await caller().setup.complete({ token, ...admin });
		hashing.calls = 0;
		for (let i = 0; i < 50; i++) {
			const again = caller().setup.complete({ token, ...admin, username: `again${i}` });
			expect(await codeOf(again)).toBe('NOT_FOUND');
		}
		expect(hashing.calls).toBe(0);
	});

	it('20 setup.complete at once with the live link from one address [one admin; at most 10 hashes; the rest NOT_FOUND or TOO_MANY_REQUESTS]', async () => {
		const token = (await openSetup(testDeps(database.db), policy.setupTokenTtlMs))!;
		const results = await Promise.all(
			Array.from({ length: 20 }, (_, i) =>
				codeOf(caller().setup.complete({ token, ...admin, username: `racer${i}` }))
			)
		);
		expect(results.filter((result) => result === 'OK')).toHaveLength(1);
		expect(
			results
				.filter((result) => result !== 'OK' && result !== 'NOT_FOUND')
				.every((result) => {
					return result === 'TOO_MANY_REQUESTS';
				})
		).toBe(true);
		expect(hashing.calls).toBeLessThanOrEqual(policy.setup.attemptsPerAddress);
		expect(await database.db.selectFrom('users').select('id').execute()).toHaveLength(1);
	});
});
