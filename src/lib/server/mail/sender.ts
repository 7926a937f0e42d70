// Delivers the mail queue (queue.ts) through the configured Mailer, in every server process.
//
// A pass takes due rows by ONE conditional UPDATE: it stamps a claim of its own (a fresh id) on
// rows that are pending, due, and unclaimed or whose claim ran out; concurrent senders (another
// instance, another cluster worker, a CLI) each get the rows their UPDATE changed and no other.
// A row is marked sent, or scheduled again, by another conditional UPDATE that must still find
// that claim, so it is marked exactly once. A sender that dies leaves its claim to run out
// (CLAIM_MS), and the row is taken again. The one case left is the classic one: a process dying
// after the SMTP server took a message but before the mark, whose message goes out twice.
//
// A failed try is retried after 30 s, then 1, 2, 4 ... minutes, at most an hour apart; a row
// still failing a day (retryWindowMs) after it was queued is marked failed. The dashboard counts
// both. Logs name the row's id, the recipient's domain and the transport's reason, never a body.
import type { Kysely, Selectable } from 'kysely';
import type { Database, MailQueueTable } from '../db/schema';
import { newId } from '../ids';
import { onMailQueued } from './queue';
import { describeMailError, InvalidRecipientError, type Mailer } from './transport';

export interface RetryPolicy {
	/** Wait after the first failed try; each further failure doubles it. */
	firstDelayMs: number;
	/** The longest wait between two tries. */
	maxDelayMs: number;
	/** How long after it was queued a mail is still retried; then it is marked failed. */
	windowMs: number;
}

export const MAIL_RETRY: RetryPolicy = {
	firstDelayMs: 30_000,
	maxDelayMs: 60 * 60 * 1000,
	windowMs: 24 * 60 * 60 * 1000
};

/** How long a claim holds: well over a batch of sends at the transport's 10 s bound each. */
const CLAIM_MS = 5 * 60 * 1000;
/** Rows taken per claim. */
const BATCH = 10;
/** How often an idle sender looks for due rows (retries, and rows another process queued). */
const POLL_MS = 5_000;
const MAX_REASON = 200;

export interface MailSenderOptions {
	db: Kysely<Database>;
	mailer: Mailer;
	/** Where failures are reported; stderr unless told. */
	log?: { error(message: string): void };
	/** Milliseconds since the epoch; Date.now unless told (tests move it). */
	now?: () => number;
	retry?: RetryPolicy;
}

export interface DeliveryReport {
	sent: number;
	/** Failed this time, to be tried again. */
	retrying: number;
	/** Failed for good. */
	failed: number;
}

/**
 * Claims due rows and tries each once, batch after batch, until no due row is left unclaimed.
 * `queuedSince`: only rows queued at or after that time (a CLI delivering its own mail).
 */
export async function deliverDueMail(
	options: MailSenderOptions,
	{ queuedSince, shouldStop }: { queuedSince?: number; shouldStop?: () => boolean } = {}
): Promise<DeliveryReport> {
	const report: DeliveryReport = { sent: 0, retrying: 0, failed: 0 };
	for (;;) {
		const claim = newId();
		const rows = await claimDueMail(options, claim, queuedSince);
		for (const [index, row] of rows.entries()) {
			if (shouldStop?.()) {
				// Stopping: the rows not tried are handed back at once, for another process to send.
				await releaseClaim(options.db, claim, rows.slice(index));
				return report;
			}
			report[await deliverOne(options, claim, row)]++;
		}
		if (rows.length < BATCH || shouldStop?.()) return report;
	}
}

type Claimed = Pick<
	Selectable<MailQueueTable>,
	'id' | 'recipient' | 'subject' | 'text_body' | 'html_body' | 'attempts' | 'created_at'
>;

/** Takes up to BATCH due rows for `claim` by one conditional UPDATE; returns what it took. */
async function claimDueMail(
	{ db, now = Date.now }: MailSenderOptions,
	claim: string,
	queuedSince: number | undefined
): Promise<Claimed[]> {
	const at = now();
	let due = db
		.selectFrom('mail_queue')
		.where('status', '=', 'pending')
		.where('next_attempt_at', '<=', at)
		.where((eb) => eb.or([eb('claim_until', 'is', null), eb('claim_until', '<', at)]));
	if (queuedSince !== undefined) due = due.where('created_at', '>=', queuedSince);
	const candidates = await due.select('id').orderBy('next_attempt_at').limit(BATCH).execute();
	if (candidates.length === 0) return [];
	// The same conditions again, in the UPDATE itself: a row another sender claimed since the
	// SELECT no longer matches, and the UPDATE passes it by.
	await db
		.updateTable('mail_queue')
		.set((eb) => ({
			claimed_by: claim,
			claim_until: at + CLAIM_MS,
			attempts: eb('attempts', '+', 1)
		}))
		.where(
			'id',
			'in',
			candidates.map((row) => row.id)
		)
		.where('status', '=', 'pending')
		.where('next_attempt_at', '<=', at)
		.where((eb) => eb.or([eb('claim_until', 'is', null), eb('claim_until', '<', at)]))
		.execute();
	return db
		.selectFrom('mail_queue')
		.select(['id', 'recipient', 'subject', 'text_body', 'html_body', 'attempts', 'created_at'])
		.where('claimed_by', '=', claim)
		.where('status', '=', 'pending')
		.orderBy('next_attempt_at')
		.execute();
}

/** Gives rows claimed but never tried back, as they were before the claim. */
async function releaseClaim(db: Kysely<Database>, claim: string, rows: Claimed[]): Promise<void> {
	await db
		.updateTable('mail_queue')
		.set((eb) => ({ claimed_by: null, claim_until: null, attempts: eb('attempts', '-', 1) }))
		.where(
			'id',
			'in',
			rows.map((row) => row.id)
		)
		.where('claimed_by', '=', claim)
		.where('status', '=', 'pending')
		.execute();
}

/** Sends one claimed row and records the outcome under the claim. */
async function deliverOne(
	options: MailSenderOptions,
	claim: string,
	row: Claimed
): Promise<keyof DeliveryReport> {
	const { db, mailer, now = Date.now, log = console, retry = MAIL_RETRY } = options;
	const where = `[mail] queued mail ${row.id} to ${domainOf(row.recipient)}`;
	try {
		await mailer.send({
			to: row.recipient,
			subject: row.subject,
			text: row.text_body,
			html: row.html_body
		});
	} catch (error) {
		const at = now();
		const reason = describeMailError(error);
		const attempts = Number(row.attempts);
		// No address problem is cured by waiting; anything else may be (a server down, a full disk).
		const giveUp =
			error instanceof InvalidRecipientError || at - Number(row.created_at) >= retry.windowMs;
		const delay = Math.min(retry.firstDelayMs * 2 ** Math.min(attempts - 1, 30), retry.maxDelayMs);
		const recorded = await settle(db, row.id, claim, {
			...(giveUp
				? { status: 'failed', failed_at: at, text_body: '', html_body: '' }
				: { next_attempt_at: at + delay }),
			last_error: reason.slice(0, MAX_REASON)
		});
		if (!recorded) {
			log.error(`${where}: its claim ran out before the failure was recorded (${reason})`);
		} else if (giveUp) {
			log.error(`${where} failed for good after ${attempts} tries: ${reason}`);
		} else {
			log.error(
				`${where} not sent (try ${attempts}): ${reason}; next try in ${Math.round(delay / 1000)} s`
			);
		}
		return giveUp ? 'failed' : 'retrying';
	}
	const recorded = await settle(db, row.id, claim, {
		status: 'sent',
		sent_at: now(),
		last_error: null,
		// The mail is out: its links need not wait in the database any longer.
		text_body: '',
		html_body: ''
	});
	// Sent, but a sender that took the row over after the claim ran out may send it again.
	if (!recorded) log.error(`${where} was sent after its claim ran out`);
	return 'sent';
}

/** Records an outcome if the row is still pending under `claim`; true when it was. */
async function settle(
	db: Kysely<Database>,
	id: string,
	claim: string,
	values: Partial<Pick<Selectable<MailQueueTable>, SettledColumn>>
): Promise<boolean> {
	const result = await db
		.updateTable('mail_queue')
		.set({ ...values, claimed_by: null, claim_until: null })
		.where('id', '=', id)
		.where('claimed_by', '=', claim)
		.where('status', '=', 'pending')
		.executeTakeFirst();
	return Number(result.numUpdatedRows) === 1;
}

type SettledColumn =
	'status' | 'sent_at' | 'failed_at' | 'next_attempt_at' | 'last_error' | 'text_body' | 'html_body';

/** `alice@example.com` -> `@example.com`: enough to tell providers apart in a log. */
function domainOf(address: string): string {
	const at = address.lastIndexOf('@');
	return at < 0 ? '(no domain)' : address.slice(at);
}

export interface MailSender {
	/** Looks for due mail now (after a commit that queued some) instead of at the next poll. */
	nudge(): void;
	/** Stops polling, lets the message being sent finish, and resolves once it has. */
	stop(): Promise<void>;
}

/**
 * The server's sender: a pass at start, on every nudge (this process queued mail), and every
 * POLL_MS otherwise. Its timer never keeps a process alive; stop() ends it for good.
 */
export function startMailSender(options: MailSenderOptions & { pollMs?: number }): MailSender {
	const { pollMs = POLL_MS, log = console } = options;
	let stopped = false;
	let timer: ReturnType<typeof setTimeout> | undefined;
	let running: Promise<void> | null = null;
	let again = false;

	async function loop(): Promise<void> {
		do {
			again = false;
			try {
				await deliverDueMail(options, { shouldStop: () => stopped });
			} catch (error) {
				// The database is away, say: the next poll tries again. Never the row's contents.
				log.error(`[mail] the sender could not read the queue: ${describeMailError(error)}`);
			}
		} while (again && !stopped);
	}

	function run(): void {
		if (stopped) return;
		if (running) {
			again = true; // the pass under way may have missed what was just committed
			return;
		}
		clearTimeout(timer);
		running = loop().finally(() => {
			running = null;
			if (!stopped) schedule();
		});
	}

	function schedule(): void {
		clearTimeout(timer);
		timer = setTimeout(run, pollMs);
		timer.unref();
	}

	const unsubscribe = onMailQueued(run);
	run();
	return {
		nudge: run,
		async stop() {
			stopped = true;
			unsubscribe();
			clearTimeout(timer);
			await running;
		}
	};
}
