// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// Security keys and passkeys (WebAuthn) as a second factor, and the challenges they sign.
//
// Credential ids are case-sensitive base64url: lookups and uniqueness go through the SHA-256 (hex)
// of the id, so they never depend on MySQL's collation and the unique index stays small; the id
// itself is kept to name the key to the browser (allowCredentials). Public keys are COSE bytes in
// base64url. Challenges are stored as SHA-256 hex for the same reason, one per session and
// purpose: asking again replaces the previous one, and a session's end takes its challenges.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('webauthn_credentials')
		.addColumn('id', 'varchar(32)', (col) => col.primaryKey())
		.addColumn('user_id', 'varchar(32)', (col) =>
			col.notNull().references('users.id').onDelete('cascade')
		)
		.addColumn('name', 'varchar(64)', (col) => col.notNull())
		// At most 1023 bytes (WebAuthn), 1364 characters of base64url.
		.addColumn('credential_id', 'varchar(1400)', (col) => col.notNull())
		.addColumn('credential_id_hash', 'varchar(64)', (col) => col.notNull().unique())
		.addColumn('public_key', 'text', (col) => col.notNull())
		// The authenticator's signature counter (0 when it keeps none): it may only grow.
		.addColumn('counter', 'bigint', (col) => col.notNull().defaultTo(0))
		// Comma-separated hints for the browser (usb, nfc, ble, internal, hybrid); may be empty.
		.addColumn('transports', 'varchar(200)', (col) => col.notNull().defaultTo(''))
		// Flags from the authenticator data: backup eligible (fixed for the credential's life),
		// backed up (may change), and whether it has ever verified the user (PIN, biometrics).
		.addColumn('backup_eligible', 'integer', (col) => col.notNull())
		.addColumn('backed_up', 'integer', (col) => col.notNull())
		.addColumn('user_verified', 'integer', (col) => col.notNull())
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.addColumn('last_used_at', 'bigint')
		.execute();
	await db.schema
		.createIndex('webauthn_credentials_user_id_idx')
		.on('webauthn_credentials')
		.column('user_id')
		.execute();

	await db.schema
		.createTable('webauthn_challenges')
		.addColumn('session_id', 'varchar(64)', (col) =>
			col.notNull().references('sessions.id').onDelete('cascade')
		)
		// 'sign-in' (a pending session), 'step-up' or 'register' (a verified one).
		.addColumn('purpose', 'varchar(16)', (col) => col.notNull())
		.addColumn('user_id', 'varchar(32)', (col) =>
			col.notNull().references('users.id').onDelete('cascade')
		)
		.addColumn('challenge_hash', 'varchar(64)', (col) => col.notNull())
		.addColumn('expires_at', 'bigint', (col) => col.notNull())
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.addPrimaryKeyConstraint('webauthn_challenges_pk', ['session_id', 'purpose'])
		.execute();
	await db.schema
		.createIndex('webauthn_challenges_user_id_idx')
		.on('webauthn_challenges')
		.column('user_id')
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('webauthn_challenges').execute();
	await db.schema.dropTable('webauthn_credentials').execute();
}
