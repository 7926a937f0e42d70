// The rename of static_tokens to backup_tokens (issue 14, "one name"): tokens held before keep
// working, old audit rows read with the new event names, and down restores the old names.
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrations } from '$lib/server/db/bundled-migrations';
import { migrateToLatest, rollbackOne } from '$lib/server/db/migrator';
import { createTestDatabase, dialects, type TestDatabase } from '../../tools/databases';

const RENAME = '20261207090000_backup_tokens';

describe.each(dialects)('the backup tokens rename migration on %s', (dialect) => {
	let database: TestDatabase;
	// Frozen shapes of the old schema: the app's types know only the new names.
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	let db: any;

	beforeEach(async () => {
		database = await createTestDatabase(dialect);
		db = database.db;
	});
	afterEach(() => database.drop());

	async function tables(): Promise<string[]> {
		return (await database.db.introspection.getTables()).map((table) => table.name);
	}

	it('renames the table and the events, keeps every token, and down restores the old names', async () => {
		const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < RENAME));
		// Up to the rename and no further, so rolling back one undoes the rename whatever comes later.
		const through = Object.fromEntries(
			Object.entries(migrations).filter(([name]) => name <= RENAME)
		);
		await migrateToLatest(database.db, before);
		const now = Date.now();
		await db
			.insertInto('users')
			.values({
				id: 'u1',
				username: 'carol',
				email: 'carol@example.com',
				password_hash: 'x',
				role: 'member',
				is_active: 1,
				created_at: now,
				updated_at: now
			})
			.execute();
		await db
			.insertInto('static_tokens')
			.values({ id: 't1', user_id: 'u1', token_hash: 'h'.repeat(64), created_at: now })
			.execute();
		await db
			.insertInto('audit_log')
			.values([
				{ id: 'a1', event: 'static_token.used', created_at: now },
				{ id: 'a2', event: 'user.updated', created_at: now }
			])
			.execute();

		expect(await migrateToLatest(database.db, through)).toContain(RENAME);
		expect(await tables()).toContain('backup_tokens');
		expect(await tables()).not.toContain('static_tokens');
		const held = await db.selectFrom('backup_tokens').select(['id', 'token_hash']).execute();
		expect(held).toEqual([{ id: 't1', token_hash: 'h'.repeat(64) }]);
		const events = async () =>
			(await db.selectFrom('audit_log').select(['id', 'event']).orderBy('id').execute()).map(
				(row: { event: string }) => row.event
			);
		expect(await events()).toEqual(['backup_token.used', 'user.updated']);
		// The user_id index serves the per-user count, under its new name.
		const { rows } =
			dialect === 'mysql'
				? await sql`show index from backup_tokens where Key_name = 'backup_tokens_user_id_idx'`.execute(
						database.db
					)
				: await sql`select name from sqlite_master where name = 'backup_tokens_user_id_idx'`.execute(
						database.db
					);
		expect(rows.length).toBeGreaterThan(0);

		expect(await rollbackOne(database.db, through)).toBe(RENAME);
		expect(await tables()).toContain('static_tokens');
		expect(await tables()).not.toContain('backup_tokens');
		expect(await events()).toEqual(['static_token.used', 'user.updated']);
	});
});
