// The durable mail queue. A change that mails someone writes the mail here IN ITS OWN
// TRANSACTION (queueMail(trx, ...)): the mail exists exactly when the change does, and a mail
// server that is down delays it instead of losing it. The sender (sender.ts) delivers it later,
// claiming each row by one conditional UPDATE, so two app instances never both take it.
// Sign-in and step-up codes do not come here: the person is waiting for them, and a code that
// cannot go out must fail the request (mailer.send, at once).
import type { Kysely } from 'kysely';
import { afterCommit } from '../db/transaction';
import type { Database } from '../db/schema';
import { newId } from '../ids';
import { isSingleAddress } from './address';
import { InvalidRecipientError } from './transport';

export interface QueuedMail {
	to: string;
	subject: string;
	text: string;
	html: string;
}

type Listener = () => void;
const listeners = new Set<Listener>();

/**
 * Writes `mail` into the queue as part of `db` (the change's transaction) and returns its id.
 * Once that transaction commits, the senders of this process are woken (onMailQueued), so the
 * mail goes out at once instead of at their next poll. Only one plain address is accepted.
 */
export async function queueMail(
	db: Kysely<Database>,
	mail: QueuedMail,
	now = Date.now()
): Promise<string> {
	if (!isSingleAddress(mail.to)) {
		throw new InvalidRecipientError('The recipient must be a single email address');
	}
	const id = newId();
	await db
		.insertInto('mail_queue')
		.values({
			id,
			recipient: mail.to,
			subject: mail.subject,
			text_body: mail.text,
			html_body: mail.html,
			status: 'pending',
			attempts: 0,
			created_at: now,
			next_attempt_at: now
		})
		.execute();
	// A transaction opened without decidingTransaction has no commit hook: the next poll finds the row.
	afterCommit(db, signalMailQueued);
	return id;
}

/** Calls `listener` whenever a mail was committed to the queue by this process; returns the undo. */
export function onMailQueued(listener: Listener): () => void {
	listeners.add(listener);
	return () => listeners.delete(listener);
}

function signalMailQueued(): void {
	for (const listener of listeners) listener();
}

export interface MailQueueFigures {
	/** Not sent yet: new, or waiting for the next try. */
	waiting: number;
	/** Given up on after the retry window. */
	failed: number;
}

/** How much mail is waiting and how much failed (the dashboard). */
export async function countQueuedMail(db: Kysely<Database>): Promise<MailQueueFigures> {
	const rows = await db
		.selectFrom('mail_queue')
		.select((eb) => ['status', eb.fn.countAll<number>().as('n')])
		.where('status', 'in', ['pending', 'failed'])
		.groupBy('status')
		.execute();
	const count = (status: string) => Number(rows.find((row) => row.status === status)?.n ?? 0);
	return { waiting: count('pending'), failed: count('failed') };
}

export interface FailedMail {
	id: string;
	recipient: string;
	subject: string;
	attempts: number;
	lastError: string | null;
	failedAt: Date;
}

/** The newest mail given up on, with the transport's last reason (never a body). */
export async function listFailedMail(db: Kysely<Database>, limit: number): Promise<FailedMail[]> {
	const rows = await db
		.selectFrom('mail_queue')
		.select(['id', 'recipient', 'subject', 'attempts', 'last_error', 'failed_at'])
		.where('status', '=', 'failed')
		.orderBy('failed_at', 'desc')
		.orderBy('id')
		.limit(limit)
		.execute();
	return rows.map((row) => ({
		id: row.id,
		recipient: row.recipient,
		subject: row.subject,
		attempts: Number(row.attempts),
		lastError: row.last_error,
		failedAt: new Date(Number(row.failed_at))
	}));
}

/** Sent mail is kept a week (for "was it sent?"), failed mail a month (for the dashboard). */
const SENT_KEPT_MS = 7 * 24 * 60 * 60 * 1000;
const FAILED_KEPT_MS = 30 * 24 * 60 * 60 * 1000;

/** The hourly cleanup's part: sent and failed rows past their keeping time. */
export async function deleteFinishedMail(db: Kysely<Database>, now: number): Promise<void> {
	await db
		.deleteFrom('mail_queue')
		.where('status', '=', 'sent')
		.where('sent_at', '<=', now - SENT_KEPT_MS)
		.execute();
	await db
		.deleteFrom('mail_queue')
		.where('status', '=', 'failed')
		.where('failed_at', '<=', now - FAILED_KEPT_MS)
		.execute();
}
