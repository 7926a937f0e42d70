// Every row of every table as one stable string, so a test can assert "nothing changed":
// take a snapshot, make the call, take another, compare. A failing comparison shows which rows
// differ, table by table.
import type { Kysely } from 'kysely';
import type { Database } from '$lib/server/db/schema';

export interface SnapshotOptions {
	/** Only these tables (a failed sign-in, say, must write its throttle and audit rows). */
	tables?: string[];
}

/**
 * All tables of the database (whatever the migrations created, Kysely's own excluded), each
 * table's rows as JSON with sorted keys, rows sorted; one line per row: `<table> <row>`.
 */
export async function snapshotDatabase(
	db: Kysely<Database>,
	{ tables: only }: SnapshotOptions = {}
): Promise<string> {
	const tables = (await tablesOf(db)).filter((name) => !only || only.includes(name));
	if (only && tables.length !== only.length) throw new Error(`no such table among ${only}`);
	const lines: string[] = [];
	for (const table of tables) {
		// The table names come from the database itself, never from input.
		const rows = await (db as unknown as Kysely<Record<string, Record<string, unknown>>>)
			.selectFrom(table)
			.selectAll()
			.execute();
		lines.push(
			`${table}: ${rows.length} rows`,
			...rows
				.map(stableJson)
				.sort()
				.map((row) => `${table} ${row}`)
		);
	}
	return lines.join('\n');
}

// Migrations do not run mid-test; asking MySQL's information_schema every time is slow.
const tableNames = new WeakMap<Kysely<Database>, Promise<string[]>>();

function tablesOf(db: Kysely<Database>): Promise<string[]> {
	let names = tableNames.get(db);
	if (!names) {
		names = db.introspection.getTables().then((tables) => tables.map((t) => t.name).sort());
		tableNames.set(db, names);
	}
	return names;
}

/** JSON with object keys in sorted order, so equal rows print equally on either driver. */
function stableJson(row: Record<string, unknown>): string {
	return JSON.stringify(
		Object.fromEntries(
			Object.keys(row)
				.sort()
				.map((key) => [key, row[key]])
		)
	);
}
