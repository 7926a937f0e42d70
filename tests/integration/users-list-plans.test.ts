// The users page's list reads a page through an index walk that stops at the LIMIT, in every
// sort order but role's and either direction, with and without filters, on the plans SQLite and
// MariaDB choose: sorting every user for each page cost MariaDB 4 to 5 ms a request with 10,000
// users (issue 16). Sorting by role sorts every row: the migration says why it has no index.
import { describe, expect, it } from 'vitest';
import { userListSchema } from '$lib/schemas/users';
import { listUsers } from '$lib/server/services/user-directory';
import { seedUsers } from '../../bench/database';
import { dialects } from '../../tools/databases';
import { explain, formatPlan } from '../../tools/query-plans';
import { testDeps } from '../../tools/service-deps';
import { usePlanDatabase } from '../helpers/plan-database';

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
	const planned = usePlanDatabase(dialect, {
		seed: (db) => seedUsers(db, USERS),
		analyze: ['users']
	});

	it.each(CASES)(
		`$label, a page of 50 of ${USERS.toLocaleString('en')} users [the page statement walks an index and sorts no rows]`,
		async ({ input }) => {
			planned.capture.take();
			const { users } = await listUsers(
				testDeps(planned.db),
				userListSchema.parse({ pageSize: 50, ...input })
			);
			expect(users).toHaveLength(50);
			const pages = planned.capture.take().filter((query) => /\blimit\b/i.test(query.sql));
			expect(pages).toHaveLength(1);
			const page = pages[0]!;
			const steps = await explain(planned.db, dialect, page);
			const plan = formatPlan(page, steps);
			const reads = steps.filter((step) => step.table === 'users');
			expect(reads, plan).toHaveLength(1);
			expect(reads[0]!.sorts, plan).toBe(false);
			expect(reads[0]!.index, plan).not.toBeNull();
		}
	);
});
