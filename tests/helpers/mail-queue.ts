// Reading the durable mail queue (mail_queue) in tests: what a change queued, whatever the sender
// has done with it since.
import type { Kysely } from 'kysely';
import type { Database } from '$lib/server/db/schema';

/** The subjects of every mail queued to `address`, oldest first, sent or not. */
export async function queuedSubjects(db: Kysely<Database>, address: string): Promise<string[]> {
	const rows = await db
		.selectFrom('mail_queue')
		.select('subject')
		.where('recipient', '=', address)
		.orderBy('created_at')
		.orderBy('id')
		.execute();
	return rows.map((row) => row.subject);
}

/** Rows of the queue by status, for "queued and not delivered" checks. */
export async function queueStatuses(
	db: Kysely<Database>,
	ids: string[]
): Promise<Record<string, string>> {
	if (ids.length === 0) return {};
	const rows = await db
		.selectFrom('mail_queue')
		.select(['id', 'status'])
		.where('id', 'in', ids)
		.execute();
	return Object.fromEntries(rows.map((row) => [row.id, row.status]));
}

/**
 * How many mails were ever queued: "nothing was mailed" is this count unchanged. The SMTP sink
 * alone cannot say it, since the sender delivers in the background, maybe after the check.
 */
export async function queuedCount(db: Kysely<Database>): Promise<number> {
	const row = await db
		.selectFrom('mail_queue')
		.select((eb) => eb.fn.countAll<number | string>().as('count'))
		.executeTakeFirstOrThrow();
	return Number(row.count);
}
