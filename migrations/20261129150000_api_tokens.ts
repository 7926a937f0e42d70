// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// Personal API tokens for other tools: only the SHA-256 of the token and its non-secret prefix
// are stored. Scopes are 'read' or 'read,write'; times are Unix milliseconds.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('api_tokens')
		.addColumn('id', 'varchar(32)', (col) => col.primaryKey())
		.addColumn('user_id', 'varchar(32)', (col) =>
			col.notNull().references('users.id').onDelete('cascade')
		)
		.addColumn('name', 'varchar(100)', (col) => col.notNull())
		.addColumn('prefix', 'varchar(16)', (col) => col.notNull().unique())
		.addColumn('token_hash', 'varchar(64)', (col) => col.notNull().unique())
		.addColumn('scopes', 'varchar(32)', (col) => col.notNull())
		// Null: the token never expires.
		.addColumn('expires_at', 'bigint')
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		// Written at most once a minute per token; null until the first use.
		.addColumn('last_used_at', 'bigint')
		.addColumn('last_used_ip', 'varchar(45)')
		.execute();
	await db.schema
		.createIndex('api_tokens_user_id_idx')
		.on('api_tokens')
		.column('user_id')
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('api_tokens').execute();
}
