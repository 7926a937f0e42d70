// For tests of query plans: a migrated database per describe block, seeded, with a second handle
// whose statements are captured, and with InnoDB's index statistics up to date (as a server's
// are) so MariaDB's optimizer judges the tables as it would real ones.
import { CompiledQuery, type Kysely } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import type { DatabaseDialect } from '$lib/server/config';
import { createDb } from '$lib/server/db/create-db';
import type { Database } from '$lib/server/db/schema';
import { createMigratedDatabase, type TestDatabase } from '../../tools/databases';
import { captureQueries, type QueryCapture } from '../../tools/query-plans';

export interface PlanDatabase {
	/** The captured handle: seed with it, run what is checked with it. */
	readonly db: Kysely<Database>;
	/** An uncaptured handle on the same database, to read what a test compares with. */
	readonly plain: Kysely<Database>;
	readonly capture: QueryCapture;
}

export function usePlanDatabase(
	dialect: DatabaseDialect,
	{ seed, analyze }: { seed: (db: Kysely<Database>) => Promise<void>; analyze: string[] }
): PlanDatabase {
	let database: TestDatabase | undefined;
	let db: Kysely<Database> | undefined;
	const capture = captureQueries();
	beforeAll(async () => {
		database = await createMigratedDatabase(dialect);
		db = createDb(database.url, { log: capture.log }).db;
		await seed(db);
		if (dialect === 'mysql') {
			for (const table of analyze)
				await db.executeQuery(CompiledQuery.raw(`analyze table ${table}`));
		}
	});
	afterAll(async () => {
		await db?.destroy();
		await database?.drop();
	});
	return {
		get db() {
			return db!;
		},
		get plain() {
			return database!.db;
		},
		capture
	};
}
