// The users page's list reads a page through an index walk that stops at the LIMIT, in every
// sort order but role's and either direction, with and without filters, on the plans SQLite and
// MariaDB choose: sorting every user for each page cost MariaDB 4 to 5 ms a request with 10,000
// users (issue 16). Sorting by role sorts every row: the migration says why it has no index.
import { CompiledQuery, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userListSchema } from '$lib/schemas/users';
import { createDb } from '$lib/server/db/create-db';
import type { Database } from '$lib/server/db/schema';
import { listUsers } from '$lib/server/services/user-directory';
import { seedUsers } from '../../bench/database';
import { createMigratedDatabase, dialects, type TestDatabase } from '../../tools/databases';
import { captureQueries, explain, formatPlan } from '../../tools/query-plans';
import { testDeps } from '../../tools/service-deps';

// Enough rows that MariaDB's optimizer, which prefers a table scan over an index on a tiny
// table, judges the table as it would a real one.
const USERS = 5_000;

const ORDERS = (['username', 'email', 'created'] as const).flatMap((sort) =>
	(['asc', 'desc'] as const).map((direction) => ({ sort, direction }))
);
const CASES = [
	...ORDERS.map((order) => ({ label: `sort ${order.sort} ${order.direction}`, input: order })),
	{ label: 'sort created desc, page 3', input: { sort: 'created', direction: 'desc', page: 3 } },
	{ label: 'members only, sort username', input: { role: 'member' } },
	{
		label: 'active members, sort created',
		input: { role: 'member', active: true, sort: 'created' }
	},
	{
		label: 'unlocked users, sort email desc',
		input: { locked: false, sort: 'email', direction: 'desc' }
	}
];

describe.each(dialects)('the users list on %s', (dialect) => {
	let database: TestDatabase;
	let db: Kysely<Database>;
	const capture = captureQueries();

	beforeAll(async () => {
		database = await createMigratedDatabase(dialect);
		// A second handle on the same database, whose statements are captured.
		db = createDb(database.url, { log: capture.log }).db;
		await seedUsers(db, USERS);
		// As on a server: InnoDB keeps index statistics up to date by itself.
		if (dialect === 'mysql') await db.executeQuery(CompiledQuery.raw('analyze table users'));
	});
	afterAll(async () => {
		await db?.destroy();
		await database?.drop();
	});

	it.each(CASES)(
		`$label, a page of 50 of ${USERS.toLocaleString('en')} users [the page statement walks an index and sorts no rows]`,
		async ({ input }) => {
			capture.take();
			const { users } = await listUsers(
				testDeps(db),
				userListSchema.parse({ pageSize: 50, ...input })
			);
			expect(users).toHaveLength(50);
			const pages = capture.take().filter((query) => /\blimit\b/i.test(query.sql));
			expect(pages).toHaveLength(1);
			const page = pages[0]!;
			const steps = await explain(db, dialect, page);
			const plan = formatPlan(page, steps);
			const reads = steps.filter((step) => step.table === 'users');
			expect(reads, plan).toHaveLength(1);
			expect(reads[0]!.sorts, plan).toBe(false);
			expect(reads[0]!.index, plan).not.toBeNull();
		}
	);
});
