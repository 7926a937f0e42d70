// The plans a database chooses for the statements a call sends: capture the statements through
// Kysely's query log, then ask SQLite (EXPLAIN QUERY PLAN) or MySQL/MariaDB (EXPLAIN) about each.
import { CompiledQuery, type Kysely, type LogEvent } from 'kysely';
import type { DatabaseDialect } from '../src/lib/server/config';

export interface CapturedQuery {
	sql: string;
	parameters: readonly unknown[];
}

export interface QueryCapture {
	/** Pass as Kysely's `log` option (`createDb(url, { log: capture.log })`). */
	log(event: LogEvent): void;
	/** The statements sent since the last call, in order. */
	take(): CapturedQuery[];
}

export function captureQueries(): QueryCapture {
	let queries: CapturedQuery[] = [];
	return {
		log(event) {
			if (event.level === 'query') {
				queries.push({ sql: event.query.sql, parameters: event.query.parameters });
			}
		},
		take() {
			const taken = queries;
			queries = [];
			return taken;
		}
	};
}

/** One step of a plan, reduced to what the checks and the report need. */
export interface PlanStep {
	/** SQLite: the step's text, indented by depth. MySQL: `table type key rows extra`. */
	text: string;
	/** The table the step reads (its alias in the statement), when it reads one. */
	table: string | null;
	/** SQLite: SCAN or SEARCH. MySQL: the access type (ALL, index, range, ref, eq_ref, ...). */
	access: string | null;
	/** The index used, if any (`PRIMARY` / `INTEGER PRIMARY KEY` for the key itself). */
	index: string | null;
	/** The step sorts what it read (MySQL: Using filesort; SQLite: a temp B-tree for ORDER BY). */
	sorts: boolean;
}

/** The plan of one captured statement, step by step. */
export async function explain<DB>(
	db: Kysely<DB>,
	dialect: DatabaseDialect,
	query: CapturedQuery
): Promise<PlanStep[]> {
	return dialect === 'sqlite' ? explainSqlite(db, query) : explainMysql(db, query);
}

interface SqlitePlanRow {
	id: number;
	parent: number;
	detail: string;
}

async function explainSqlite<DB>(db: Kysely<DB>, query: CapturedQuery): Promise<PlanStep[]> {
	const { rows } = await db.executeQuery<SqlitePlanRow>(
		CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters])
	);
	const depth = new Map<number, number>([[0, 0]]);
	const steps = rows.map((row) => {
		depth.set(row.id, (depth.get(row.parent) ?? 0) + 1);
		const reads =
			/^(SCAN|SEARCH) (\S+)(?: AS \S+)?(?: USING (?:COVERING )?INDEX (\S+)| USING (INTEGER PRIMARY KEY))?/.exec(
				row.detail
			);
		return {
			id: row.id,
			parent: row.parent,
			detail: row.detail,
			step: {
				text: `${'  '.repeat(depth.get(row.id)! - 1)}${row.detail}`,
				table: reads?.[2] ?? null,
				access: reads?.[1] ?? null,
				index: reads?.[3] ?? reads?.[4] ?? null,
				sorts: false
			}
		};
	});
	// SQLite reports a sort as a step of its own next to the reads it sorts: blame those reads,
	// and the lookups a MULTI-INDEX OR next to it merged (a co-routine's reads are sorted, if at
	// all, inside it: what the sort sees is the co-routine's output).
	const blame = (parent: number): void => {
		for (const sibling of steps.filter((candidate) => candidate.parent === parent)) {
			if (sibling.step.table) sibling.step.sorts = true;
			if (/^(MULTI-INDEX OR|INDEX \d+)$/.test(sibling.detail)) blame(sibling.id);
		}
	};
	for (const sort of steps.filter(({ detail }) => /TEMP B-TREE FOR .*ORDER BY/.test(detail))) {
		blame(sort.parent);
	}
	return steps.map(({ step }) => step);
}

interface MysqlPlanRow {
	table: string | null;
	type: string | null;
	key: string | null;
	rows: number | string | null;
	Extra: string | null;
}

async function explainMysql<DB>(db: Kysely<DB>, query: CapturedQuery): Promise<PlanStep[]> {
	const { rows } = await db.executeQuery<MysqlPlanRow>(
		CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters])
	);
	return rows.map((row) => ({
		text: [row.table ?? '-', row.type ?? '-', row.key ?? '-', `rows=${row.rows ?? '-'}`, row.Extra]
			.filter(Boolean)
			.join(' '),
		table: row.table,
		access: row.type,
		index: row.key,
		sorts: /filesort/.test(row.Extra ?? '')
	}));
}

/** A plan as lines, for a report or a failure message. */
export function formatPlan(query: CapturedQuery, steps: PlanStep[]): string {
	return [query.sql, ...steps.map((step) => `  ${step.text}`)].join('\n');
}
