import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteExpiredAuthRows } from '$lib/server/auth/cleanup';
import { createMigratedDatabase, dialects, type TestDatabase } from '../../tools/databases';

describe.each(dialects)('the expired-row sweep on %s', (dialect) => {
	let database: TestDatabase;
	beforeAll(async () => {
		database = await createMigratedDatabase(dialect);
	});
	afterAll(() => database.drop());

	it('deletes expired sessions and setup links, and keeps live ones', async () => {
		const now = Date.now();
		await database.db
			.insertInto('users')
			.values({
				id: 'u1',
				username: 'u1',
				email: null,
				password_hash: 'x',
				role: 'member',
				created_at: now,
				updated_at: now
			})
			.execute();
		const session = (id: string, expiresAt: number) => ({
			id,
			public_id: `p${id}`,
			user_id: 'u1',
			state: 'verified' as const,
			expires_at: expiresAt,
			created_at: now
		});
		await database.db
			.insertInto('sessions')
			.values([session('old', now - 1), session('live', now + 60_000)])
			.execute();
		await database.db
			.insertInto('setup_tokens')
			.values([
				{ token_hash: 'old', expires_at: now - 1 },
				{ token_hash: 'live', expires_at: now + 60_000 }
			])
			.execute();

		await deleteExpiredAuthRows(database.db, now);

		expect(await database.db.selectFrom('sessions').select('id').execute()).toEqual([
			{ id: 'live' }
		]);
		expect(await database.db.selectFrom('setup_tokens').select('token_hash').execute()).toEqual([
			{ token_hash: 'live' }
		]);
	});
});
