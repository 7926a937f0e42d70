// tools/databases.ts's throw-away databases, as the benches use them: named after who made them,
// created next to the server they are given, with this process's handle built from the options.
import { existsSync } from 'node:fs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, mysqlBaseUrl } from '../../tools/databases';

describe.each(dialects)('createTestDatabase on %s', (dialect) => {
	it('a label names the database, and the db options reach its handle (a query log)', async () => {
		const logged: string[] = [];
		const database = await createTestDatabase(dialect, {
			label: 'bench',
			mysqlUrl: dialect === 'mysql' ? mysqlBaseUrl() : undefined,
			db: { log: (event) => void logged.push(event.query.sql) }
		});
		try {
			expect(database.url).toMatch(
				dialect === 'sqlite' ? /\/admin-bench-[^/]+\/app\.db$/ : /_bench_[0-9a-f]{8}$/
			);
			await sql`select 1 as one`.execute(database.db);
			expect(logged).toEqual(['select 1 as one']);
		} finally {
			await database.drop();
		}
		if (dialect === 'sqlite') {
			expect(existsSync(database.url.slice('file:'.length))).toBe(false);
		}
	});

	it('without options it is named as before and logs nothing', async () => {
		const database = await createTestDatabase(dialect);
		try {
			expect(database.url).not.toContain('bench');
			expect(database.url).toMatch(
				dialect === 'sqlite' ? /\/admin-test-[^/]+\/app\.db$/ : /_[0-9a-f]{8}$/
			);
		} finally {
			await database.drop();
		}
	});
});
