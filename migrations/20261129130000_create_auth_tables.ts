// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// Tables of the two-step login: emailed codes, backup tokens, throttles, setup links, audit log,
// and the dev mail outbox. Hashes are hex HMAC-SHA256 / SHA-256; times are Unix milliseconds.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	// Consecutive second-step failures of the account (pending sessions and resends share it).
	await db.schema
		.alterTable('users')
		.addColumn('otp_failures', 'integer', (col) => col.notNull().defaultTo(0))
		.execute();
	await db.schema.alterTable('users').addColumn('otp_blocked_until', 'bigint').execute();
	await db.schema.alterTable('users').addColumn('locked_at', 'bigint').execute();

	// One live code per pending session: the primary key makes a second one impossible.
	await db.schema
		.createTable('email_otps')
		.addColumn('session_id', 'varchar(64)', (col) =>
			col.primaryKey().references('sessions.id').onDelete('cascade')
		)
		.addColumn('user_id', 'varchar(32)', (col) =>
			col.notNull().references('users.id').onDelete('cascade')
		)
		.addColumn('code_hash', 'varchar(64)', (col) => col.notNull())
		.addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
		.addColumn('expires_at', 'bigint', (col) => col.notNull())
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.execute();
	await db.schema
		.createIndex('email_otps_user_id_idx')
		.on('email_otps')
		.column('user_id')
		.execute();

	await db.schema
		.createTable('static_tokens')
		.addColumn('id', 'varchar(32)', (col) => col.primaryKey())
		.addColumn('user_id', 'varchar(32)', (col) =>
			col.notNull().references('users.id').onDelete('cascade')
		)
		.addColumn('token_hash', 'varchar(64)', (col) => col.notNull().unique())
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.execute();
	await db.schema
		.createIndex('static_tokens_user_id_idx')
		.on('static_tokens')
		.column('user_id')
		.execute();

	// Fixed-window counters (password attempts, code sends), shared by every app instance.
	await db.schema
		.createTable('rate_limits')
		.addColumn('bucket', 'varchar(191)', (col) => col.notNull())
		.addColumn('window_start', 'bigint', (col) => col.notNull())
		.addColumn('hits', 'integer', (col) => col.notNull())
		.addPrimaryKeyConstraint('rate_limits_pk', ['bucket', 'window_start'])
		.execute();

	await db.schema
		.createTable('setup_tokens')
		.addColumn('token_hash', 'varchar(64)', (col) => col.primaryKey())
		.addColumn('expires_at', 'bigint', (col) => col.notNull())
		.execute();

	await db.schema
		.createTable('audit_log')
		.addColumn('id', 'varchar(32)', (col) => col.primaryKey())
		.addColumn('event', 'varchar(64)', (col) => col.notNull())
		.addColumn('actor_id', 'varchar(32)')
		.addColumn('subject_id', 'varchar(32)')
		.addColumn('ip', 'varchar(45)')
		.addColumn('user_agent', 'varchar(512)')
		.addColumn('details', 'varchar(1000)')
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.execute();
	await db.schema
		.createIndex('audit_log_created_idx')
		.on('audit_log')
		.column('created_at')
		.execute();
	await db.schema
		.createIndex('audit_log_subject_idx')
		.on('audit_log')
		.columns(['subject_id', 'created_at'])
		.execute();

	// Dev outbox: messages kept instead of sent when no SMTP server is configured.
	await db.schema
		.createTable('mail_outbox')
		.addColumn('id', 'varchar(32)', (col) => col.primaryKey())
		.addColumn('recipient', 'varchar(254)', (col) => col.notNull())
		.addColumn('subject', 'varchar(255)', (col) => col.notNull())
		.addColumn('text_body', 'text', (col) => col.notNull())
		.addColumn('html_body', 'text', (col) => col.notNull())
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	for (const table of [
		'mail_outbox',
		'audit_log',
		'setup_tokens',
		'rate_limits',
		'static_tokens',
		'email_otps'
	]) {
		await db.schema.dropTable(table).execute();
	}
	await db.schema.alterTable('users').dropColumn('locked_at').execute();
	await db.schema.alterTable('users').dropColumn('otp_blocked_until').execute();
	await db.schema.alterTable('users').dropColumn('otp_failures').execute();
}
