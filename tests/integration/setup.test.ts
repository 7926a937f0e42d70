// First run: a one-time link creates the first admin; then setup is gone.
import { TRPCError } from '@trpc/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getPolicy } from '$lib/server/auth/policy';
import { openSetup } from '$lib/server/services/setup';
import { createContextInner } from '$lib/server/trpc/context';
import { createCaller } from '$lib/server/trpc/router';
import { createMigratedDatabase, dialects, type TestDatabase } from '../../tools/databases';
import { testDeps } from '../../tools/service-deps';

const ttl = getPolicy().setupTokenTtlMs;
const admin = { username: 'root-admin', email: 'root@example.com', password: 'a long passphrase' };

describe.each(dialects)('first-run setup on %s', (dialect) => {
	let database: TestDatabase;
	beforeEach(async () => {
		database = await createMigratedDatabase(dialect);
	});
	afterEach(() => database.drop());

	const caller = () =>
		createCaller(createContextInner({ db: database.db, dialect, mailer: {} as never }));

	async function codeOf(call: Promise<unknown>): Promise<string> {
		return call.then(
			() => 'OK',
			(error: unknown) => (error instanceof TRPCError ? error.code : String(error))
		);
	}

	it('creates the first admin with a valid link, once', async () => {
		const token = (await openSetup(testDeps(database.db), ttl))!;
		expect(await caller().setup.status({ token })).toEqual({ valid: true });
		expect(await caller().setup.status({ token: 'not-the-token' })).toEqual({ valid: false });

		await caller().setup.complete({ token, ...admin });
		const users = await database.db.selectFrom('users').select(['username', 'role']).execute();
		expect(users).toEqual([{ username: 'root-admin', role: 'admin' }]);

		expect(await caller().setup.status({ token })).toEqual({ valid: false });
		expect(await codeOf(caller().setup.complete({ token, ...admin, username: 'again' }))).toBe(
			'NOT_FOUND'
		);
		expect(await openSetup(testDeps(database.db), ttl)).toBeNull();
	});

	it('lets only one of two open links win, even at the same moment', async () => {
		const first = (await openSetup(testDeps(database.db), ttl))!;
		const second = (await openSetup(testDeps(database.db), ttl))!;
		const results = await Promise.all([
			codeOf(caller().setup.complete({ token: first, ...admin, username: 'first' })),
			codeOf(caller().setup.complete({ token: second, ...admin, username: 'second' }))
		]);
		expect(results.filter((result) => result === 'OK')).toHaveLength(1);
		expect(await database.db.selectFrom('users').select('id').execute()).toHaveLength(1);
	});

	it('refuses an expired link and weak input without creating anyone', async () => {
		const expired = (await openSetup(testDeps(database.db), -1))!;
		expect(await codeOf(caller().setup.complete({ token: expired, ...admin }))).toBe('NOT_FOUND');
		const token = (await openSetup(testDeps(database.db), ttl))!;
		expect(await codeOf(caller().setup.complete({ token, ...admin, password: 'short' }))).toBe(
			'BAD_REQUEST'
		);
		expect(
			await codeOf(caller().setup.complete({ token, ...admin, email: 'a@b.c\r\nBcc: x@y.z' }))
		).toBe('BAD_REQUEST');
		expect(await database.db.selectFrom('users').select('id').execute()).toEqual([]);
	});
});
