// The dev/test mailbox: messages are stored in mail_outbox instead of being sent, so a
// developer (or a test) can read a sign-in code without an SMTP server.
import type { Kysely, Selectable } from 'kysely';
import type { Database, MailOutboxTable } from '../db/schema';
import { newId } from '../ids';

export interface OutboxMessage {
	id: string;
	recipient: string;
	subject: string;
	text: string;
	html: string;
	createdAt: Date;
}

const MAX_LIST = 500;

/** Stores one message; the caller has already checked the recipient. */
export async function insertOutboxMessage(
	db: Kysely<Database>,
	mail: { to: string; subject: string; text: string; html: string }
): Promise<void> {
	await db
		.insertInto('mail_outbox')
		.values({
			id: newId(),
			recipient: mail.to,
			subject: mail.subject,
			text_body: mail.text,
			html_body: mail.html,
			created_at: Date.now()
		})
		.execute();
}

/** The newest messages first. */
export async function listOutbox(db: Kysely<Database>, limit = 50): Promise<OutboxMessage[]> {
	const rows = await selectOutbox(db)
		.limit(Math.max(1, Math.min(Math.trunc(limit), MAX_LIST)))
		.execute();
	return rows.map(toMessage);
}

/** The newest message to exactly this address, or null. */
export async function latestOutboxMessage(
	db: Kysely<Database>,
	recipient: string
): Promise<OutboxMessage | null> {
	const row = await selectOutbox(db).where('recipient', '=', recipient).limit(1).executeTakeFirst();
	return row ? toMessage(row) : null;
}

// Ids are random, so `id` only breaks ties within one millisecond deterministically; it does
// not say which of two such messages came first.
function selectOutbox(db: Kysely<Database>) {
	return db
		.selectFrom('mail_outbox')
		.select(['id', 'recipient', 'subject', 'text_body', 'html_body', 'created_at'])
		.orderBy('created_at', 'desc')
		.orderBy('id', 'desc');
}

function toMessage(row: Selectable<MailOutboxTable>): OutboxMessage {
	return {
		id: row.id,
		recipient: row.recipient,
		subject: row.subject,
		text: row.text_body,
		html: row.html_body,
		// MySQL drivers may hand BIGINT back as a string; Number() accepts both.
		createdAt: new Date(Number(row.created_at))
	};
}
