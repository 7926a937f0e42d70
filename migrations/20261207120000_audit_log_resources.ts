// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// The audit log learns about rows that are not users: `subject_type` names the resource a
// `record.*` row is about (null: the subject is a user, as for every older row), and `changes`
// holds what a change wrote, as JSON `{ field: { from, to } }`. A row's history is read by
// (subject_type, subject_id), newest first, hence the index.
import { MysqlAdapter, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('audit_log').addColumn('subject_type', 'varchar(64)').execute();
	await db.schema.alterTable('audit_log').addColumn('changes', 'text').execute();
	await db.schema
		.createIndex('audit_log_subject_type_idx')
		.on('audit_log')
		.columns(['subject_type', 'subject_id', 'created_at', 'seq'])
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	// MySQL drops an index of a table; SQLite's index names are global and take no table.
	const drop = db.schema.dropIndex('audit_log_subject_type_idx');
	const isMysql = db.getExecutor().adapter instanceof MysqlAdapter;
	await (isMysql ? drop.on('audit_log') : drop).execute();
	await db.schema.alterTable('audit_log').dropColumn('changes').execute();
	await db.schema.alterTable('audit_log').dropColumn('subject_type').execute();
}
