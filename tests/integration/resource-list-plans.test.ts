// A resource's list reads a page in one statement and counts in a second (issue 16): the page's ids
// through the sort's (column, id) index, stopping at the page's end, then each row and each
// reference's title by key. Reading every column in that walk made MariaDB sort every matching row
// of a table with a TEXT column (the example resource's description); the titles had a third
// statement of 100 ids. Checked on the plans SQLite and MariaDB choose.
import { describe, expect, it } from 'vitest';
import { listRows } from '$lib/server/resources/list';
import { resources } from '$lib/server/resources/registry';
import { seedFlags, seedUsers } from '../../bench/database';
import { dialects } from '../../tools/databases';
import { explain, formatPlan } from '../../tools/query-plans';
import { testDeps } from '../../tools/service-deps';
import { usePlanDatabase } from '../helpers/plan-database';

// Enough rows that MariaDB's optimizer judges the tables as it would real ones.
const USERS = 1_000;
const FLAGS = 3_000;
const flags = resources.featureFlags;

const CASES = [
	{ label: 'the default sort (newest change first)', sort: '-updatedAt', filter: {} },
	{ label: 'sort updatedAt', sort: 'updatedAt', filter: {} },
	{ label: 'sort key', sort: 'key', filter: {} },
	{ label: 'sort key desc', sort: '-key', filter: {} },
	{ label: 'sort environment', sort: 'environment', filter: {} },
	{
		label: 'production only, sort environment',
		sort: 'environment',
		filter: { environment: 'production' }
	}
];

describe.each(dialects)('the feature flags list on %s', (dialect) => {
	const planned = usePlanDatabase(dialect, {
		seed: async (db) => {
			await seedUsers(db, USERS);
			await seedFlags(db, FLAGS);
		},
		analyze: ['users', 'feature_flags']
	});

	it.each(CASES)(
		'$label, 100 rows with their owners [two statements; ids by an index walk, rows and owners by key, no table sorted]',
		async ({ sort, filter }) => {
			planned.capture.take();
			const { rows, total } = await listRows(testDeps(planned.db), flags, resources, {
				filter,
				sort,
				page: 2,
				pageSize: 100
			});
			expect(rows).toHaveLength(100);
			expect(total).toBeGreaterThan(100);
			// Every row of the seed has an owner, and the owner's username is its title.
			const owners = new Map(
				(await planned.plain.selectFrom('users').select(['id', 'username']).execute()).map(
					(user) => [user.id, user.username]
				)
			);
			for (const row of rows) {
				const owner = row.owner as { id: string; title: string };
				expect(owner.title).toBe(owners.get(owner.id));
			}
			const statements = planned.capture.take();
			expect(statements.map((query) => query.sql)).toHaveLength(2);
			const page = statements.find((query) => /\blimit\b/i.test(query.sql))!;
			const steps = await explain(planned.db, dialect, page);
			const plan = formatPlan(page, steps);
			// The ids through the sort's index, then each row and its owner by key: no step reads a
			// table without an index, and the one sort allowed is of the page's own rows.
			const reads = steps.filter(
				(step) => step.table === 'feature_flags' || step.table === 'owner__ref'
			);
			expect(
				reads.filter((step) => step.table === 'feature_flags'),
				plan
			).toHaveLength(2);
			expect(
				reads.filter((step) => step.table === 'owner__ref'),
				plan
			).toHaveLength(1);
			for (const read of reads) {
				expect(read.index, plan).not.toBeNull();
				expect(read.sorts, plan).toBe(false);
			}
			const sorted = steps.filter((step) => step.sorts);
			expect(
				sorted.every((step) => /^(<derived\d+>|page)$/.test(step.table ?? '')),
				plan
			).toBe(true);
		}
	);
});
