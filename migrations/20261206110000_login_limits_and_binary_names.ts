// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// Names compare byte for byte on both databases, and the rate-limit sweep has an index to use.
//
// Usernames and emails are stored normalised by the app (trimmed, lower-cased, NFC), so byte
// comparison is case-insensitive for what users type and never accent-insensitive. SQLite already
// compares bytes; MySQL compared these columns with the database's default collation
// (utf8mb4_general_ci on MariaDB 10.11, accent-insensitive), so `vîctim` found `victim`.
import { MysqlAdapter, sql, type Kysely } from 'kysely';

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

	// SQLite: nothing to do, its default collation (BINARY) compares bytes already.
	if (!isMysql(db)) return;
	// One statement, so the table is rebuilt once. Type, nullability, position and the unique
	// indexes stay as they were; only the collation changes. utf8mb4_bin exists on MySQL and
	// MariaDB alike; like the old collation it ignores trailing spaces, which the app trims.
	await sql`
		alter table users
			modify username varchar(64) character set utf8mb4 collate utf8mb4_bin not null,
			modify email varchar(254) character set utf8mb4 collate utf8mb4_bin null,
			modify otp_email varchar(254) character set utf8mb4 collate utf8mb4_bin null
	`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
	if (isMysql(db)) {
		// Without a character set or collation, a column takes the table's defaults: what these
		// columns had before (the first migration named none).
		await sql`
			alter table users
				modify username varchar(64) not null,
				modify email varchar(254) null,
				modify otp_email varchar(254) null
		`.execute(db);
	}
	// MySQL names the table in DROP INDEX, SQLite refuses it.
	const dropIndex = db.schema.dropIndex('rate_limits_window_start_idx');
	await (isMysql(db) ? dropIndex.on('rate_limits') : dropIndex).execute();
}
