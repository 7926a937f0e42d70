// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// The example resource's table (src/lib/server/resources/feature-flags.ts). Every resource table
// has `id`, `version` (the stale-edit check), `created_at` and `updated_at`, then one column per
// stored field in the representation resources/fields.ts names: text as varchar (MySQL: binary
// collation, so uniqueness and comparisons match SQLite's), yes/no as integer 0/1, decimals as
// bigint units, dates as char(10), datetimes as bigint ms. Indexes for the list's default sort and
// each filter. The owner is optional: deleting a user leaves their flags without one.
import { MysqlAdapter, sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	const isMysql = db.getExecutor().adapter instanceof MysqlAdapter;
	const key = isMysql
		? sql`varchar(64) character set utf8mb4 collate utf8mb4_bin`
		: sql`varchar(64)`;
	await db.schema
		.createTable('feature_flags')
		.addColumn('id', 'varchar(32)', (col) => col.primaryKey())
		.addColumn('version', 'integer', (col) => col.notNull())
		.addColumn('key', key, (col) => col.notNull().unique())
		.addColumn('enabled', 'integer', (col) => col.notNull().defaultTo(0))
		.addColumn('rollout', 'bigint', (col) => col.notNull())
		.addColumn('environment', 'varchar(16)', (col) => col.notNull())
		.addColumn('owner_id', 'varchar(32)', (col) => col.references('users.id').onDelete('set null'))
		.addColumn('min_build', 'bigint')
		.addColumn('description', 'text')
		.addColumn('review_by', 'char(10)')
		.addColumn('expires_at', 'bigint')
		.addColumn('evaluations', 'bigint', (col) => col.notNull().defaultTo(0))
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.addColumn('updated_at', 'bigint', (col) => col.notNull())
		.execute();
	for (const column of ['updated_at', 'environment', 'owner_id', 'enabled']) {
		await db.schema
			.createIndex(`feature_flags_${column}_idx`)
			.on('feature_flags')
			.columns([column, 'id'])
			.execute();
	}
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('feature_flags').execute();
}
