// Injected database faults for in-process tests: a Kysely plugin (`db.withPlugin(fault.plugin)`)
// that lets one chosen statement run, then makes its connection die before anything else can
// happen: on MySQL the connection holding the open transaction is killed on the server (which
// rolls the transaction back), and on both dialects the caller gets an error at that point, as
// a driver reports a lost connection. Embedded SQLite has no connection to lose: there the error
// alone stands for it, and the caller's transaction handling must roll back.
import {
	sql,
	type KyselyPlugin,
	type OperationNode,
	type QueryResult,
	type RootOperationNode,
	type UnknownRow
} from 'kysely';
import type { TestDatabase } from '../../tools/databases';

export type Verb = 'select' | 'insert' | 'update' | 'delete';

/** A statement by what it does and to which table, e.g. `{ verb: 'insert', table: 'sessions' }`. */
export interface Statement {
	verb: Verb;
	table: string;
}

export class InjectedFault extends Error {
	name = 'InjectedFault';
}

export interface ConnectionFault {
	plugin: KyselyPlugin;
	/** Whether the statement was seen (a test that injected nothing proves nothing). */
	readonly fired: boolean;
}

/** Kills the connection right after the first statement matching `target` has run. */
export function dieAfter(database: TestDatabase, target: Statement): ConnectionFault {
	const matching = new WeakSet<object>();
	let fired = false;
	const plugin: KyselyPlugin = {
		transformQuery({ node, queryId }) {
			const statement = statementOf(node);
			if (!fired && statement?.verb === target.verb && statement.table === target.table) {
				matching.add(queryId);
			}
			return node;
		},
		async transformResult({ result, queryId }): Promise<QueryResult<UnknownRow>> {
			if (fired || !matching.has(queryId)) return result;
			fired = true;
			if (database.dialect === 'mysql') await killOpenTransactions(database);
			throw new InjectedFault(`connection lost after ${target.verb} ${target.table}`);
		}
	};
	return {
		plugin,
		get fired() {
			return fired;
		}
	};
}

/** What a statement does and to which table, read from Kysely's query tree. */
export function statementOf(node: RootOperationNode): Statement | null {
	switch (node.kind) {
		case 'InsertQueryNode':
			return node.into ? { verb: 'insert', table: tableName(node.into) } : null;
		case 'UpdateQueryNode':
			return node.table ? { verb: 'update', table: tableName(node.table) } : null;
		case 'DeleteQueryNode':
			return { verb: 'delete', table: tableName(node.from.froms[0]!) };
		case 'SelectQueryNode':
			return node.from ? { verb: 'select', table: tableName(node.from.froms[0]!) } : null;
		default:
			return null;
	}
}

function tableName(node: OperationNode): string {
	const table = node as { table?: { identifier?: { name?: string } } };
	return table.table?.identifier?.name ?? '';
}

/**
 * KILLs, from another connection, every connection of this database that holds an open
 * transaction: the server rolls each back, and its client sees the connection drop.
 */
async function killOpenTransactions(database: TestDatabase): Promise<void> {
	const { rows } = await sql<{ id: number }>`
		select t.trx_mysql_thread_id as id
		from information_schema.innodb_trx t
		join information_schema.processlist p on p.id = t.trx_mysql_thread_id
		where p.db = database() and p.id <> connection_id()`.execute(database.db);
	for (const { id } of rows) await sql`kill ${Number(id)}`.execute(database.db);
}
