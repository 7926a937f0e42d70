// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// The admin UI: a separate two-factor address (confirmed before use), session activity and
// step-up times, and pending address changes.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	// Where codes go when set (else `email`), and when the delivery address was last proven.
	await db.schema.alterTable('users').addColumn('otp_email', 'varchar(254)').execute();
	await db.schema.alterTable('users').addColumn('otp_email_confirmed_at', 'bigint').execute();

	// Last time a code was verified in this session (step-up needs one in the last minutes),
	// and last request (written at most once a minute).
	await db.schema.alterTable('sessions').addColumn('verified_at', 'bigint').execute();
	await db.schema.alterTable('sessions').addColumn('last_seen_at', 'bigint').execute();

	// A new two-factor address waits here until a code sent to it comes back.
	await db.schema
		.createTable('otp_email_changes')
		.addColumn('user_id', 'varchar(32)', (col) =>
			col.primaryKey().references('users.id').onDelete('cascade')
		)
		.addColumn('email', 'varchar(254)', (col) => col.notNull())
		.addColumn('code_hash', 'varchar(64)', (col) => col.notNull())
		.addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
		.addColumn('expires_at', 'bigint', (col) => col.notNull())
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('otp_email_changes').execute();
	await db.schema.alterTable('sessions').dropColumn('last_seen_at').execute();
	await db.schema.alterTable('sessions').dropColumn('verified_at').execute();
	await db.schema.alterTable('users').dropColumn('otp_email_confirmed_at').execute();
	await db.schema.alterTable('users').dropColumn('otp_email').execute();
}
