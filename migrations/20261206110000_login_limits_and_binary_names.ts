// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// The rate-limit sweep has an index to use.
import { MysqlAdapter, type Kysely } from 'kysely';

function isMysql(db: Kysely<any>): boolean {
	return db.getExecutor().adapter instanceof MysqlAdapter;
}

export async function up(db: Kysely<any>): Promise<void> {
	// The hourly sweep finds windows by `window_start < ?`, oldest first, a batch at a time:
	// without this index every batch is a full scan.
	await db.schema
		.createIndex('rate_limits_window_start_idx')
		.on('rate_limits')
		.column('window_start')
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	// MySQL names the table in DROP INDEX, SQLite refuses it.
	const dropIndex = db.schema.dropIndex('rate_limits_window_start_idx');
	await (isMysql(db) ? dropIndex.on('rate_limits') : dropIndex).execute();
}
