// Feature flags written straight into their table, many at once, for the bench and the list
// tests: the example resource's rows in its stored form (resources/fields.ts: yes/no as 0/1,
// decimals as whole tenths, times as ms), without the audit trail a create through the API
// writes. Keys are `<prefix>-00042`, so a test can find and sort them; owners go round `owners`.
import type { Kysely } from 'kysely';
import type { Database } from '../src/lib/server/db/schema';
import { newId } from '../src/lib/server/ids';

const ENVIRONMENTS = ['dev', 'staging', 'production'] as const;
const BATCH = 500;

export interface SeedFlagsOptions {
	count: number;
	prefix?: string;
	/** User ids, given to the flags in turn; none: no owner. */
	owners?: readonly string[];
	/** The newest flag's update time; each next one a second older (the list's default sort). */
	now?: number;
}

/** Key of the `n`th seeded flag (0-based). */
export function flagKey(prefix: string, n: number): string {
	return `${prefix}-${String(n).padStart(5, '0')}`;
}

export async function seedFeatureFlags(
	db: Kysely<Database>,
	{ count, prefix = 'flag', owners = [], now = Date.now() }: SeedFlagsOptions
): Promise<void> {
	const flags = (db as unknown as Kysely<Record<string, Record<string, unknown>>>).insertInto(
		'feature_flags'
	);
	for (let start = 0; start < count; start += BATCH) {
		const rows = [];
		for (let n = start; n < Math.min(start + BATCH, count); n++) {
			rows.push({
				id: newId(),
				version: 1,
				key: flagKey(prefix, n),
				enabled: n % 2 === 0 ? 1 : 0,
				rollout: (n % 101) * 10,
				environment: ENVIRONMENTS[n % ENVIRONMENTS.length],
				owner_id: owners.length ? owners[n % owners.length] : null,
				description: `Seeded flag number ${n}`,
				evaluations: 0,
				created_at: now - n * 1000,
				updated_at: now - n * 1000
			});
		}
		await flags.values(rows).execute();
	}
}
