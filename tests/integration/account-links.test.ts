import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLiveLink, issueLink, revokeLinks, spendLink } from '$lib/server/auth/account-links';
import { deleteExpiredAuthRows } from '$lib/server/auth/cleanup';
import { createMigratedDatabase, dialects, type TestDatabase } from '../../tools/databases';

const HOUR = 60 * 60 * 1000;

describe.each(dialects)('mailed single-use links on %s', (dialect) => {
	let database: TestDatabase;
	beforeAll(async () => {
		database = await createMigratedDatabase(dialect);
		const now = Date.now();
		await database.db
			.insertInto('users')
			.values(
				['ann', 'bob'].map((id) => ({
					id,
					username: id,
					email: `${id}@example.com`,
					password_hash: 'x',
					role: 'member' as const,
					created_at: now,
					updated_at: now
				}))
			)
			.execute();
	});
	afterAll(() => database.drop());

	const issue = (userId: string, purpose: 'invite' | 'reset' | 'email', now = Date.now()) =>
		issueLink(
			database.db,
			{ purpose, userId, email: `${userId}@example.com`, createdBy: null, ttlMs: HOUR },
			now
		);

	it('stores only a hash: the token is nowhere in the table', async () => {
		const link = await issue('ann', 'reset');
		const rows = await database.db.selectFrom('account_links').selectAll().execute();
		expect(JSON.stringify(rows)).not.toContain(link.token);
		expect(link.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
	});

	it('is spent once: two spends at once, exactly one gets the link', async () => {
		const link = await issue('ann', 'invite');
		const spends = await Promise.all(
			Array.from({ length: 6 }, () =>
				database.db.transaction().execute((trx) => spendLink(trx, 'invite', link.token))
			)
		);
		expect(spends.filter((spent) => spent !== null)).toHaveLength(1);
		expect(spends.find((spent) => spent !== null)).toMatchObject({ userId: 'ann', id: link.id });
		expect(await findLiveLink(database.db, 'invite', link.token)).toBeNull();
	});

	it('opens only for its own purpose', async () => {
		const link = await issue('bob', 'reset');
		expect(await spendLink(database.db, 'email', link.token)).toBeNull();
		expect(await spendLink(database.db, 'invite', link.token)).toBeNull();
		expect(await findLiveLink(database.db, 'reset', link.token)).toMatchObject({ userId: 'bob' });
	});

	it('refuses an expired link, and a token of the wrong shape without a query', async () => {
		const now = Date.now();
		const link = await issue('bob', 'email', now - 2 * HOUR);
		expect(await findLiveLink(database.db, 'email', link.token, now)).toBeNull();
		expect(await spendLink(database.db, 'email', link.token, now)).toBeNull();
		expect(await findLiveLink(database.db, 'email', "x' OR 1=1 --")).toBeNull();
	});

	it('a newer link of the same purpose revokes the older one; other purposes stay', async () => {
		const reset = await issue('ann', 'reset');
		const older = await issue('ann', 'email');
		const newer = await issue('ann', 'email');
		expect(await findLiveLink(database.db, 'email', older.token)).toBeNull();
		expect(await findLiveLink(database.db, 'email', newer.token)).not.toBeNull();
		expect(await findLiveLink(database.db, 'reset', reset.token)).not.toBeNull();

		expect(await revokeLinks(database.db, 'ann', 'reset')).toBe(1);
		expect(await spendLink(database.db, 'reset', reset.token)).toBeNull();
	});

	it('the sweep deletes links a week past their end and keeps recent ones', async () => {
		const now = Date.now();
		const old = await issue('bob', 'invite', now - 9 * 24 * HOUR);
		const recent = await issue('ann', 'invite', now - 2 * HOUR);
		await deleteExpiredAuthRows(database.db, now);
		const ids = (await database.db.selectFrom('account_links').select('id').execute()).map(
			(row) => row.id
		);
		expect(ids).not.toContain(old.id);
		expect(ids).toContain(recent.id);
	});
});
