// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// A verified session remembers the pending session it was promoted from (the SHA-256 the pending
// row was keyed by), so ending the pending id also ends what it became, even when the promotion
// committed a moment before the logout ran.
import { MysqlAdapter, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('sessions').addColumn('promoted_from', 'varchar(64)').execute();
	await db.schema
		.createIndex('sessions_promoted_from_idx')
		.on('sessions')
		.column('promoted_from')
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	// MySQL names the table in DROP INDEX, SQLite refuses it; SQLite cannot drop an indexed column.
	const dropIndex = db.schema.dropIndex('sessions_promoted_from_idx');
	const isMysql = db.getExecutor().adapter instanceof MysqlAdapter;
	await (isMysql ? dropIndex.on('sessions') : dropIndex).execute();
	await db.schema.alterTable('sessions').dropColumn('promoted_from').execute();
}
