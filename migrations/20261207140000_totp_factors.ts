// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// Authenticator apps (TOTP). One row per secret: a pending enrolment (confirmed_at null) until a
// first good code confirms it. The secret is stored encrypted (AES-256-GCM, one versioned string),
// never in the clear. `last_step` is the last time step accepted for the factor: a conditional
// UPDATE on it makes every step single-use. `users.preferred_factor` orders the ways to finish a
// sign-in ('email', 'totp', ...); null: the app's default order.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('totp_factors')
		.addColumn('id', 'varchar(32)', (col) => col.primaryKey())
		.addColumn('user_id', 'varchar(32)', (col) =>
			col.notNull().references('users.id').onDelete('cascade')
		)
		// `v1.<iv>.<ciphertext+tag>`, base64url: about 80 characters for a 20-byte secret.
		.addColumn('secret_box', 'varchar(255)', (col) => col.notNull())
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.addColumn('confirmed_at', 'bigint')
		.addColumn('last_step', 'bigint')
		.execute();
	await db.schema
		.createIndex('totp_factors_user_id_idx')
		.on('totp_factors')
		.column('user_id')
		.execute();
	await db.schema.alterTable('users').addColumn('preferred_factor', 'varchar(16)').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('users').dropColumn('preferred_factor').execute();
	// The index goes with its table on both databases.
	await db.schema.dropTable('totp_factors').execute();
}
