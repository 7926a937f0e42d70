// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// The durable mail queue: every mail but the sign-in and step-up codes is written here in the
// transaction of the change that caused it, and the server's sender delivers it. A sender takes
// a row by one conditional UPDATE that sets `claimed_by`/`claim_until` (a claim that runs out
// makes the row claimable again), and marks it sent or schedules the next try by another that
// must still see its claim. `status`: pending, sent or failed (retried for a day without
// success). The bodies are blanked once the row is sent or failed: they may hold links.
// (`mail_outbox` is unrelated: the dev mailbox that MAIL_TRANSPORT=outbox delivers to.)
// Times are Unix milliseconds.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('mail_queue')
		.addColumn('id', 'varchar(32)', (col) => col.primaryKey())
		.addColumn('recipient', 'varchar(254)', (col) => col.notNull())
		.addColumn('subject', 'varchar(255)', (col) => col.notNull())
		.addColumn('text_body', 'text', (col) => col.notNull())
		.addColumn('html_body', 'text', (col) => col.notNull())
		.addColumn('status', 'varchar(8)', (col) => col.notNull())
		// Tries so far, counted when a sender claims the row.
		.addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.addColumn('next_attempt_at', 'bigint', (col) => col.notNull())
		// The claim of the sender working on the row; anyone may take it once claim_until passed.
		.addColumn('claimed_by', 'varchar(32)')
		.addColumn('claim_until', 'bigint')
		// The transport's reason for the last failure (never a body).
		.addColumn('last_error', 'varchar(200)')
		.addColumn('sent_at', 'bigint')
		.addColumn('failed_at', 'bigint')
		.execute();
	// Senders look for due pending rows; the dashboard counts by status; the cleanup sweeps by it.
	await db.schema
		.createIndex('mail_queue_status_next_idx')
		.on('mail_queue')
		.columns(['status', 'next_attempt_at'])
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('mail_queue').execute();
}
