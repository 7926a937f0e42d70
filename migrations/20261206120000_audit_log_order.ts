// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// The audit log gets an insertion order and indexes for every way it is read.
//
// `seq` numbers rows in the order they were written, so rows written in the same millisecond
// still list in a stable order (created_at, then seq). It is an order, not an id: `id` stays the
// row's identity (unique, random). SQLite can only make an INTEGER PRIMARY KEY count up, and
// cannot add one to an existing table, so on both dialects the table is rebuilt with `seq` as its
// primary key; existing rows are numbered in time order. `down` rebuilds the old table exactly.
//
// Indexes, each ending in (created_at, seq) so a lookup also yields its rows newest first: the
// whole log (by time), by event (the filter and the dashboard), by subject and by actor (a user's
// history matches either; the two lookups are merged by a UNION, see services/audit.ts).
import { MysqlAdapter, type Kysely } from 'kysely';

const COLUMNS = [
	'id',
	'event',
	'actor_id',
	'subject_id',
	'ip',
	'user_agent',
	'details',
	'created_at'
] as const;

export async function up(db: Kysely<any>): Promise<void> {
	const isMysql = db.getExecutor().adapter instanceof MysqlAdapter;
	await db.schema.alterTable('audit_log').renameTo('audit_log_unordered').execute();
	await db.schema
		.createTable('audit_log')
		// SQLite's AUTOINCREMENT needs exactly INTEGER (64-bit there); MySQL's INTEGER is 32-bit.
		.addColumn('seq', isMysql ? 'bigint' : 'integer', (col) => col.primaryKey().autoIncrement())
		.addColumn('id', 'varchar(32)', (col) => col.notNull())
		.addColumn('event', 'varchar(64)', (col) => col.notNull())
		.addColumn('actor_id', 'varchar(32)')
		.addColumn('subject_id', 'varchar(32)')
		.addColumn('ip', 'varchar(45)')
		.addColumn('user_agent', 'varchar(512)')
		.addColumn('details', 'varchar(1000)')
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.execute();
	// Both dialects number the rows of INSERT ... SELECT in the SELECT's order.
	await db
		.insertInto('audit_log')
		.columns(COLUMNS)
		.expression(
			db.selectFrom('audit_log_unordered').select(COLUMNS).orderBy('created_at').orderBy('id')
		)
		.execute();
	await db.schema.dropTable('audit_log_unordered').execute();

	await db.schema.createIndex('audit_log_id_key').unique().on('audit_log').column('id').execute();
	const indexes: Array<[string, string[]]> = [
		['audit_log_newest_idx', []],
		['audit_log_event_newest_idx', ['event']],
		['audit_log_subject_newest_idx', ['subject_id']],
		['audit_log_actor_newest_idx', ['actor_id']]
	];
	for (const [name, leading] of indexes) {
		await db.schema
			.createIndex(name)
			.on('audit_log')
			.columns([...leading, 'created_at', 'seq'])
			.execute();
	}
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('audit_log').renameTo('audit_log_ordered').execute();
	// As 20261129130000_create_auth_tables created it.
	await db.schema
		.createTable('audit_log')
		.addColumn('id', 'varchar(32)', (col) => col.primaryKey())
		.addColumn('event', 'varchar(64)', (col) => col.notNull())
		.addColumn('actor_id', 'varchar(32)')
		.addColumn('subject_id', 'varchar(32)')
		.addColumn('ip', 'varchar(45)')
		.addColumn('user_agent', 'varchar(512)')
		.addColumn('details', 'varchar(1000)')
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.execute();
	await db
		.insertInto('audit_log')
		.columns(COLUMNS)
		.expression(db.selectFrom('audit_log_ordered').select(COLUMNS))
		.execute();
	await db.schema.dropTable('audit_log_ordered').execute();
	await db.schema
		.createIndex('audit_log_created_idx')
		.on('audit_log')
		.column('created_at')
		.execute();
	await db.schema
		.createIndex('audit_log_subject_idx')
		.on('audit_log')
		.columns(['subject_id', 'created_at'])
		.execute();
}
