// migrations/20261206110000_login_limits_and_binary_names.ts: MySQL's name columns compare bytes
// (utf8mb4_bin) with their type, nullability and unique indexes kept, the rate-limit sweep gets
// its index, and `down` gives back exactly the tables that were there.
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrations } from '$lib/server/db/bundled-migrations';
import { createMigrator } from '$lib/server/db/migrator';
import { createTestDatabase, dialects, type TestDatabase } from '../../tools/databases';

const MIGRATION = '20261206110000_login_limits_and_binary_names';
const names = Object.keys(migrations).sort();
const BEFORE = names[names.indexOf(MIGRATION) - 1]!;

async function migrateTo<DB>(db: Kysely<DB>, name: string): Promise<void> {
	const { error } = await createMigrator(db, migrations).migrateTo(name);
	if (error) throw error;
}

describe.each(dialects)('the binary-names migration on %s', (dialect) => {
	let database: TestDatabase;
	beforeEach(async () => {
		database = await createTestDatabase(dialect);
	});
	afterEach(() => database.drop());

	/** The two tables' definitions, as the database itself prints them. */
	async function tables(): Promise<string[]> {
		if (dialect === 'sqlite') {
			const { rows } = await sql<{ sql: string | null }>`
				select sql from sqlite_master where tbl_name in ('users', 'rate_limits') order by name
			`.execute(database.db);
			return rows.map((row) => String(row.sql));
		}
		const definitions: string[] = [];
		for (const table of ['users', 'rate_limits']) {
			const { rows } = await sql<
				Record<string, string>
			>`show create table ${sql.table(table)}`.execute(database.db);
			definitions.push(rows[0]!['Create Table']!);
		}
		return definitions;
	}

	it('up, then down [up: name columns utf8mb4_bin on MySQL, everything else as it was; down: both tables exactly as before]', async () => {
		await migrateTo(database.db, BEFORE);
		const before = await tables();

		await migrateTo(database.db, MIGRATION);
		const after = await tables();
		expect(after.join('\n')).toContain('rate_limits_window_start_idx');
		if (dialect === 'mysql') {
			const users = after[0]!;
			expect(users).toContain(
				'`username` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL'
			);
			expect(users).toContain(
				'`email` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL'
			);
			expect(users).toContain(
				'`otp_email` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL'
			);
			// Nothing but those three collations changed: same columns, order, keys and defaults.
			const withoutCollation = users.replaceAll(' CHARACTER SET utf8mb4 COLLATE utf8mb4_bin', '');
			expect(withoutCollation).toBe(before[0]);
		} else {
			const index = (definition: string) => definition.includes('rate_limits_window_start_idx');
			expect(after.filter((definition) => !index(definition))).toEqual(before);
		}

		await migrateTo(database.db, BEFORE);
		expect(await tables()).toEqual(before);
	});
});
