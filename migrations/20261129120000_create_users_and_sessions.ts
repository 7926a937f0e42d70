// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('users')
		.addColumn('id', 'varchar(32)', (col) => col.primaryKey())
		.addColumn('username', 'varchar(64)', (col) => col.notNull().unique())
		.addColumn('email', 'varchar(254)', (col) => col.unique())
		.addColumn('password_hash', 'varchar(255)', (col) => col.notNull())
		.addColumn('role', 'varchar(16)', (col) => col.notNull().defaultTo('member'))
		.addColumn('is_active', 'integer', (col) => col.notNull().defaultTo(1))
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.addColumn('updated_at', 'bigint', (col) => col.notNull())
		.execute();

	await db.schema
		.createTable('sessions')
		.addColumn('id', 'varchar(64)', (col) => col.primaryKey())
		.addColumn('public_id', 'varchar(32)', (col) => col.notNull().unique())
		.addColumn('user_id', 'varchar(32)', (col) =>
			col.notNull().references('users.id').onDelete('cascade')
		)
		.addColumn('state', 'varchar(16)', (col) => col.notNull())
		.addColumn('expires_at', 'bigint', (col) => col.notNull())
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.addColumn('ip', 'varchar(45)')
		.addColumn('user_agent', 'varchar(512)')
		.execute();

	await db.schema.createIndex('sessions_user_id_idx').on('sessions').column('user_id').execute();
	await db.schema
		.createIndex('sessions_expires_at_idx')
		.on('sessions')
		.column('expires_at')
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('sessions').execute();
	await db.schema.dropTable('users').execute();
}
