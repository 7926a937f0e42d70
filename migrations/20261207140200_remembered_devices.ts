// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// "Don't ask again on this device": one row per browser a person chose to remember after a second
// step. Only a keyed hash of the device token is stored (the token lives in an HttpOnly cookie);
// `public_id` names the row in lists and when it is forgotten. Times are Unix milliseconds.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('remembered_devices')
		.addColumn('id', 'varchar(32)', (col) => col.primaryKey())
		.addColumn('public_id', 'varchar(32)', (col) => col.notNull().unique())
		.addColumn('user_id', 'varchar(32)', (col) =>
			col.notNull().references('users.id').onDelete('cascade')
		)
		.addColumn('token_hash', 'varchar(64)', (col) => col.notNull().unique())
		.addColumn('user_agent', 'varchar(512)')
		.addColumn('ip', 'varchar(45)')
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		// Null until the device first skips a second step.
		.addColumn('last_used_at', 'bigint')
		// Fixed when remembered: using the device does not extend it.
		.addColumn('expires_at', 'bigint', (col) => col.notNull())
		.execute();
	await db.schema
		.createIndex('remembered_devices_user_id_idx')
		.on('remembered_devices')
		.column('user_id')
		.execute();
	// The hourly cleanup deletes by expiry.
	await db.schema
		.createIndex('remembered_devices_expires_at_idx')
		.on('remembered_devices')
		.column('expires_at')
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('remembered_devices').execute();
}
