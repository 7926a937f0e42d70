// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// Single-use links mailed to a person: an invitation (choose a password), a password reset, and
// the proof of a new email address. Only a keyed hash of the link's token is stored; a link is
// spent by one conditional UPDATE that sets `used_at`. `email` is the address the link went to
// (for an email change: the new address, which takes effect only when the link is opened).
// Times are Unix milliseconds.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('account_links')
		.addColumn('id', 'varchar(32)', (col) => col.primaryKey())
		.addColumn('purpose', 'varchar(16)', (col) => col.notNull())
		.addColumn('user_id', 'varchar(32)', (col) =>
			col.notNull().references('users.id').onDelete('cascade')
		)
		.addColumn('email', 'varchar(254)', (col) => col.notNull())
		.addColumn('token_hash', 'varchar(64)', (col) => col.notNull().unique())
		// The admin who asked for it (an invitation, a reset sent for someone); null: the person.
		.addColumn('created_by', 'varchar(32)')
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.addColumn('expires_at', 'bigint', (col) => col.notNull())
		// Set once, by the conditional UPDATE that spends the link (or revokes it).
		.addColumn('used_at', 'bigint')
		.execute();
	// Lists and revocations go by person and purpose; the hourly cleanup by expiry.
	await db.schema
		.createIndex('account_links_user_purpose_idx')
		.on('account_links')
		.columns(['user_id', 'purpose'])
		.execute();
	await db.schema
		.createIndex('account_links_expires_at_idx')
		.on('account_links')
		.column('expires_at')
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('account_links').execute();
}
