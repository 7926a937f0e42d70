// Everything a database holds, read table by table: for "a refused call changed nothing" and
// "this secret is stored nowhere" checks that cover tables added later without being told.
import { sql, type Kysely } from 'kysely';

export type TableContents = Record<string, Record<string, unknown>[]>;

/**
 * For `ignore`: a queued mail's delivery, which the harness's mail sender moves on its own time
 * (claimed, sent, bodies blanked). A row queued or not is still compared.
 */
export const MAIL_DELIVERY = [
	'mail_queue.status',
	'mail_queue.attempts',
	'mail_queue.next_attempt_at',
	'mail_queue.claimed_by',
	'mail_queue.claim_until',
	'mail_queue.last_error',
	'mail_queue.sent_at',
	'mail_queue.failed_at',
	'mail_queue.text_body',
	'mail_queue.html_body'
];

/** For `ignore`: the activity stamps any authenticated request may move, and mail delivery. */
export const ACTIVITY_STAMPS = [
	'sessions.last_seen_at',
	'api_tokens.last_used_at',
	'api_tokens.last_used_ip',
	...MAIL_DELIVERY
];

export interface ReadOptions {
	/** Only these tables (a failed sign-in, say, must write its throttle and audit rows). */
	tables?: string[];
	/**
	 * `table.column` names left out: activity stamps (`sessions.last_seen_at`) that any request
	 * may move without changing what the data means.
	 */
	ignore?: string[];
}

/** Every row of every table (Kysely's migration tables included), rows in a stable order. */
export async function readAllTables<DB>(
	db: Kysely<DB>,
	{ tables: only, ignore = [] }: ReadOptions = {}
): Promise<TableContents> {
	const tables = (await tablesOf(db)).filter((name) => !only || only.includes(name));
	if (only && tables.length !== only.length) throw new Error(`no such table among ${only}`);
	const contents: TableContents = {};
	for (const table of tables) {
		const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(
			db
		);
		contents[table] = rows
			.map((row) =>
				Object.fromEntries(
					Object.entries(row)
						.filter(([column]) => !ignore.includes(`${table}.${column}`))
						.map(([column, value]) => [column, normalize(value)])
				)
			)
			.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
	}
	return contents;
}

/**
 * Every row of every table as one string (`<table> <row as JSON>` per line), so a test can assert
 * "nothing changed" with one comparison whose diff shows the rows that did.
 */
export async function snapshotDatabase<DB>(
	db: Kysely<DB>,
	options: ReadOptions = {}
): Promise<string> {
	return Object.entries(await readAllTables(db, options))
		.flatMap(([table, rows]) => [
			`${table}: ${rows.length} rows`,
			...rows.map((row) => `${table} ${JSON.stringify(row)}`)
		])
		.join('\n');
}

// Migrations do not run mid-test, and asking MySQL's information_schema every time is slow.
const tableNames = new WeakMap<object, Promise<string[]>>();

function tablesOf<DB>(db: Kysely<DB>): Promise<string[]> {
	let names = tableNames.get(db);
	if (!names) {
		names = db.introspection
			.getTables({ withInternalKyselyTables: true })
			.then((tables) => tables.map((table) => table.name).sort());
		tableNames.set(db, names);
	}
	return names;
}

/**
 * Where any of `needles` occurs in any column of any row, as `table.column`. Case-insensitive,
 * and only where no letter or digit touches it on either side, so a six-digit code is not found
 * inside a millisecond timestamp or a hex hash by chance.
 */
export async function findInDatabase<DB>(db: Kysely<DB>, needles: string[]): Promise<string[]> {
	const patterns = needles.map(
		(needle) => new RegExp(`(?<![a-z0-9])${escapeRegExp(needle)}(?![a-z0-9])`, 'i')
	);
	const hits = new Set<string>();
	for (const [table, rows] of Object.entries(await readAllTables(db))) {
		for (const row of rows) {
			for (const [column, value] of Object.entries(row)) {
				const text = String(value);
				if (patterns.some((pattern) => pattern.test(text))) hits.add(`${table}.${column}`);
			}
		}
	}
	return [...hits].sort();
}

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One representation per value whatever the driver returns (Buffer, bigint, Date). */
function normalize(value: unknown): unknown {
	if (Buffer.isBuffer(value)) return value.toString('utf8');
	if (typeof value === 'bigint') return Number(value);
	if (value instanceof Date) return value.getTime();
	return value;
}
