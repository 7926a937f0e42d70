// The durable mail queue on each dialect, with a real SMTP server on loopback: a notice is written
// in the transaction of its change and only then; a sender delivers it once the mail server
// answers, exactly once, however many senders race for it; failures are retried with backoff for
// a day and then given up on; the hourly sweep and the dashboard see the queue.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '$lib/server/db/create-db';
import { runTransaction } from '$lib/server/db/transaction';
import {
	createMailer,
	deleteFinishedMail,
	deliverDueMail,
	MAIL_RETRY,
	MailDeliveryError,
	onMailQueued,
	queueMail,
	startMailSender,
	type Mailer,
	type MailSender
} from '$lib/server/mail';
import { mintBackupTokens } from '$lib/server/services/backup-tokens';
import { getDashboard } from '$lib/server/services/dashboard';
import { queueNoticeToUser } from '$lib/server/services/notices';
import { auditSubjects } from '$lib/server/trpc/audit-subjects';
import { dieAfter } from '../helpers/db-faults';
import { queuedSubjects } from '../helpers/mail-queue';
import { createMigratedDatabase, dialects, type TestDatabase } from '../../tools/databases';
import { testDeps } from '../../tools/service-deps';
import { seedUser } from '../../tools/sign-in';
import { startSmtpSink, unusedPort, type SmtpSink } from '../../tools/smtp-sink';

const MINTED = 'New backup tokens for Admin';
const FROM = 'Admin <admin@example.com>';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A clock the services and the sender share, moved by the test. */
function testClock(start = Date.now()) {
	let at = start;
	return {
		now: () => at,
		advance(ms: number) {
			at += ms;
		}
	};
}

/** Waits until `check` holds, asking the database again after each short pause. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

describe.each(dialects)('the mail queue on %s', (dialect) => {
	let database: TestDatabase;
	const closing: Array<() => Promise<unknown>> = [];

	beforeAll(async () => {
		database = await createMigratedDatabase(dialect);
	});
	afterEach(async () => {
		for (const close of closing.splice(0).reverse()) await close();
	});
	afterAll(() => database?.drop());

	function smtpMailer(url: string, db = database.db): Mailer {
		const mailer = createMailer({ transport: 'smtp', smtpUrl: url, from: FROM, db });
		closing.push(() => mailer.close());
		return mailer;
	}

	async function sink(port?: number): Promise<SmtpSink> {
		const started = await startSmtpSink({ port });
		closing.push(() => started.stop());
		return started;
	}

	function sender(options: Parameters<typeof startMailSender>[0]): MailSender {
		const started = startMailSender(options);
		closing.push(() => started.stop());
		return started;
	}

	async function row(id: string) {
		return database.db
			.selectFrom('mail_queue')
			.selectAll()
			.where('id', '=', id)
			.executeTakeFirstOrThrow();
	}

	async function rowsTo(address: string) {
		return database.db
			.selectFrom('mail_queue')
			.selectAll()
			.where('recipient', '=', address)
			.execute();
	}

	const actorFor = (userId: string) => ({
		actorId: userId,
		ip: '203.0.113.7',
		userAgent: 'vitest'
	});

	describe('a notice made while the SMTP server is down', () => {
		it('is queued with its change, not delivered, and delivered exactly once after the server comes back', async () => {
			const port = await unusedPort();
			const clock = testClock();
			const log: string[] = [];
			const mailer = smtpMailer(`smtp://127.0.0.1:${port}`);
			const worker = sender({
				db: database.db,
				mailer,
				now: clock.now,
				log: { error: (line) => log.push(line) }
			});
			const user = await seedUser(database.db);

			// Nothing listens on the port: the mint succeeds, its notice waits in the queue.
			await mintBackupTokens(testDeps(database.db, { clock }), actorFor(user.id), user.id, 2);
			const [queued] = await rowsTo(user.email!);
			expect(queued).toMatchObject({ subject: MINTED, created_at: clock.now() });
			// The commit woke the sender, whose first try failed and scheduled the next.
			await until(async () => (await row(queued!.id)).last_error !== null, 'the first try');
			expect(await row(queued!.id)).toMatchObject({
				status: 'pending',
				attempts: 1,
				claimed_by: null,
				next_attempt_at: clock.now() + MAIL_RETRY.firstDelayMs,
				sent_at: null
			});
			expect((await row(queued!.id)).last_error).toMatch(/ECONNREFUSED/);
			// The log names the row and the domain, never the body or the mailbox's local part.
			expect(log).toEqual([
				expect.stringMatching(
					new RegExp(`^\\[mail\\] queued mail ${queued!.id} to @example\\.com not sent \\(try 1\\)`)
				)
			]);
			expect(log.join('\n')).not.toContain(user.username);
			expect(log.join('\n')).not.toContain('backup token');

			// The server comes back on the same port; the row is due 30 s after the failure.
			const server = await sink(port);
			clock.advance(MAIL_RETRY.firstDelayMs);
			worker.nudge();
			const mail = await server.waitForMessage((m) => m.envelopeTo.includes(user.email!));
			expect(mail.subject).toBe(MINTED);
			expect(mail.text).toContain('2 new backup tokens were created');
			await until(async () => (await row(queued!.id)).status === 'sent', 'the mark');
			expect(await row(queued!.id)).toMatchObject({
				status: 'sent',
				attempts: 2,
				sent_at: clock.now(),
				claimed_by: null,
				last_error: null,
				// Out of the database once sent: a body may hold a link.
				text_body: '',
				html_body: ''
			});

			// Later passes, however late, send it no more.
			clock.advance(2 * HOUR);
			expect(await deliverDueMail({ db: database.db, mailer, now: clock.now })).toEqual({
				sent: 0,
				retrying: 0,
				failed: 0
			});
			await worker.stop();
			expect(server.messages.filter((m) => m.envelopeTo.includes(user.email!))).toHaveLength(1);
		});
	});

	describe('two senders on one database', () => {
		it('racing over the same due rows, send each row exactly once', async () => {
			const server = await sink();
			// A second instance: its own connection (pool) and its own SMTP pool.
			const other = createDb(database.url);
			closing.push(() => other.db.destroy());
			const senders = [
				{ db: database.db, mailer: smtpMailer(server.url) },
				{ db: other.db, mailer: smtpMailer(server.url, other.db) }
			];
			const subjects = Array.from({ length: 25 }, (_, i) => `race ${i}`);
			for (const subject of subjects) {
				await queueMail(database.db, { to: 'race@example.com', subject, text: subject, html: '' });
			}

			const reports = await Promise.all([
				deliverDueMail(senders[0]!),
				deliverDueMail(senders[1]!),
				deliverDueMail(senders[0]!),
				deliverDueMail(senders[1]!)
			]);
			expect(reports.reduce((sum, report) => sum + report.sent, 0)).toBe(subjects.length);
			const received = server.messages
				.filter((m) => m.envelopeTo.includes('race@example.com'))
				.map((m) => m.subject)
				.sort();
			expect(received).toEqual([...subjects].sort());
			const rows = await rowsTo('race@example.com');
			expect(rows.map((r) => [r.status, Number(r.attempts)])).toEqual(
				subjects.map(() => ['sent', 1])
			);
		});

		it('as two running workers woken by the same commits, send each notice once', async () => {
			const server = await sink();
			const other = createDb(database.url);
			closing.push(() => other.db.destroy());
			sender({ db: database.db, mailer: smtpMailer(server.url) });
			sender({ db: other.db, mailer: smtpMailer(server.url, other.db) });
			const user = await seedUser(database.db);
			const deps = testDeps(database.db);
			for (let i = 0; i < 5; i++) {
				await mintBackupTokens(deps, actorFor(user.id), user.id, 1);
			}
			for (let i = 0; i < 5; i++) {
				await server.waitForMessage((m) => m.envelopeTo.includes(user.email!));
			}
			await until(
				async () => (await rowsTo(user.email!)).every((r) => r.status === 'sent'),
				'every mark'
			);
			expect(server.messages.filter((m) => m.envelopeTo.includes(user.email!))).toHaveLength(5);
		});

		it('a sender that died holding a claim: the row is taken again once the claim ran out', async () => {
			const server = await sink();
			const clock = testClock();
			const mailer = smtpMailer(server.url);
			const id = await queueMail(
				database.db,
				{ to: 'crash@example.com', subject: 'after a crash', text: 'x', html: '' },
				clock.now()
			);
			// As a pass that claimed the row and then died would leave it.
			await database.db
				.updateTable('mail_queue')
				.set({ claimed_by: 'dead', claim_until: clock.now() + 5 * MINUTE, attempts: 1 })
				.where('id', '=', id)
				.execute();
			expect(await deliverDueMail({ db: database.db, mailer, now: clock.now })).toMatchObject({
				sent: 0
			});
			clock.advance(5 * MINUTE + 1);
			expect(await deliverDueMail({ db: database.db, mailer, now: clock.now })).toMatchObject({
				sent: 1
			});
			expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2 });
			expect(server.messages.filter((m) => m.subject === 'after a crash')).toHaveLength(1);
		});
	});

	describe('stopping', () => {
		it('lets the message being sent finish and be marked, hands the rest back, and sends nothing after', async () => {
			await database.db.deleteFrom('mail_queue').execute(); // rows earlier tests left waiting
			const sent: string[] = [];
			let release!: () => void;
			const released = new Promise<void>((resolve) => (release = resolve));
			let started!: () => void;
			const sending = new Promise<void>((resolve) => (started = resolve));
			const slow: Mailer = {
				transport: 'smtp',
				send: async (mail) => {
					started();
					await released;
					sent.push(mail.subject);
				},
				close: async () => {}
			};
			// Queued a millisecond apart, so they are tried in this order.
			const queuedAt = Date.now() - 10;
			for (const [i, subject] of ['first', 'second', 'third'].entries()) {
				const mail = { to: 'stop@example.com', subject, text: 'x', html: '' };
				await queueMail(database.db, mail, queuedAt + i);
			}
			const worker = startMailSender({ db: database.db, mailer: slow });
			await sending;
			const stopped = worker.stop();
			release();
			await stopped;

			expect(sent).toEqual(['first']);
			const rows = await rowsTo('stop@example.com');
			expect(
				rows.map((r) => [r.subject, r.status, r.claimed_by, Number(r.attempts)]).sort()
			).toEqual([
				['first', 'sent', null, 1],
				['second', 'pending', null, 0],
				['third', 'pending', null, 0]
			]);
			// Nothing wakes a stopped sender: a new commit is left to the other processes.
			await queueMail(database.db, {
				to: 'stop@example.com',
				subject: 'fourth',
				text: 'x',
				html: ''
			});
			worker.nudge();
			expect(sent).toEqual(['first']);
		});
	});

	describe('a change that rolls back', () => {
		it('queues nothing and wakes no sender: the connection dies right after the queue insert', async () => {
			const user = await seedUser(database.db);
			let woken = 0;
			const stop = onMailQueued(() => woken++);
			closing.push(async () => stop());
			const fault = dieAfter(database, { verb: 'insert', table: 'mail_queue' });
			const deps = testDeps(database.db.withPlugin(fault.plugin));

			// The injected error, or on MySQL the driver's own for the connection killed under it.
			await expect(mintBackupTokens(deps, actorFor(user.id), user.id, 2)).rejects.toThrow();
			expect(fault.fired).toBe(true);
			expect(await rowsTo(user.email!)).toEqual([]);
			const tokens = await database.db
				.selectFrom('backup_tokens')
				.select('id')
				.where('user_id', '=', user.id)
				.execute();
			expect(tokens).toEqual([]);
			expect(woken).toBe(0);

			// The same change that commits queues its notice and wakes the senders once.
			await mintBackupTokens(testDeps(database.db), actorFor(user.id), user.id, 2);
			expect(await queuedSubjects(database.db, user.email!)).toEqual([MINTED]);
			expect(woken).toBe(1);
		});

		it('queues nothing when the transaction fails after the notice was queued in it', async () => {
			const user = await seedUser(database.db);
			const deps = testDeps(database.db);
			await expect(
				runTransaction(database.db, async (trx) => {
					await queueNoticeToUser(trx, deps, user.id, { subject: 'never', text: 'x', html: 'x' });
					throw new Error('the change failed after its notice was queued');
				})
			).rejects.toThrow('the change failed');
			expect(await rowsTo(user.email!)).toEqual([]);
		});

		it('reads the address in the transaction: the notice goes where codes went as of the change', async () => {
			const user = await seedUser(database.db);
			const deps = testDeps(database.db);
			await runTransaction(database.db, async (trx) => {
				await trx
					.updateTable('users')
					.set({ otp_email: 'codes@example.com' })
					.where('id', '=', user.id)
					.execute();
				await queueNoticeToUser(trx, deps, user.id, { subject: 'where', text: 'x', html: 'x' });
			});
			expect(await queuedSubjects(database.db, 'codes@example.com')).toEqual(['where']);
			expect(await queuedSubjects(database.db, user.email!)).toEqual([]);
		});
	});

	describe('retries', () => {
		it('back off from 30 s, doubling to at most an hour, and give up a day after queueing', async () => {
			await database.db.deleteFrom('mail_queue').execute(); // rows earlier tests left waiting
			const clock = testClock();
			const log: string[] = [];
			const down: Mailer = {
				transport: 'smtp',
				send: async () => {
					throw new MailDeliveryError('The message could not be sent', {
						cause: new Error('connect ECONNREFUSED')
					});
				},
				close: async () => {}
			};
			const options = {
				db: database.db,
				mailer: down,
				now: clock.now,
				log: { error: (line: string) => log.push(line) }
			};
			const queuedAt = clock.now();
			const id = await queueMail(
				database.db,
				{ to: 'retry@example.com', subject: 'retry', text: 'secret link', html: 'secret link' },
				queuedAt
			);

			const waits: number[] = [];
			for (;;) {
				const report = await deliverDueMail(options);
				const after = await row(id);
				if (after.status === 'failed') {
					expect(report).toEqual({ sent: 0, retrying: 0, failed: 1 });
					break;
				}
				expect(report).toEqual({ sent: 0, retrying: 1, failed: 0 });
				// Not due before its time: a pass a moment early takes nothing.
				const next = Number(after.next_attempt_at);
				waits.push(next - clock.now());
				clock.advance(next - clock.now() - 1);
				expect(await deliverDueMail(options)).toEqual({ sent: 0, retrying: 0, failed: 0 });
				clock.advance(1);
			}
			const minutes = waits.map((ms) => ms / MINUTE);
			expect(minutes.slice(0, 9)).toEqual([0.5, 1, 2, 4, 8, 16, 32, 60, 60]);
			expect(minutes.every((m) => m <= 60)).toBe(true);

			const failed = await row(id);
			// Given up only at the first failure at least a day after it was queued.
			expect(clock.now() - queuedAt).toBeGreaterThanOrEqual(MAIL_RETRY.windowMs);
			expect(clock.now() - queuedAt - waits.at(-1)!).toBeLessThan(MAIL_RETRY.windowMs);
			expect(failed).toMatchObject({
				status: 'failed',
				failed_at: clock.now(),
				attempts: waits.length + 1,
				text_body: '',
				html_body: '',
				claimed_by: null
			});
			expect(failed.last_error).toMatch(/could not be sent: connect ECONNREFUSED/);
			expect(log.at(-1)).toMatch(
				new RegExp(
					`queued mail ${id} to @example\\.com failed for good after ${waits.length + 1} tries`
				)
			);
			expect(log.join('\n')).not.toContain('secret link');
			expect(log.join('\n')).not.toContain('retry@');
			// A failed row is never tried again.
			clock.advance(HOUR);
			expect(await deliverDueMail(options)).toEqual({ sent: 0, retrying: 0, failed: 0 });
		});
	});

	describe('the sweep and the dashboard', () => {
		it('the sweep deletes sent mail after a week and failed mail after a month, never waiting mail', async () => {
			const now = Date.now();
			const day = 24 * HOUR;
			const rows = [
				{ id: 'sweep-sent-old', status: 'sent', sent_at: now - 7 * day - 1 },
				{ id: 'sweep-sent-new', status: 'sent', sent_at: now - 6 * day },
				{ id: 'sweep-failed-old', status: 'failed', failed_at: now - 30 * day - 1 },
				{ id: 'sweep-failed-new', status: 'failed', failed_at: now - 29 * day },
				{ id: 'sweep-pending-old', status: 'pending' }
			] as const;
			for (const values of rows) {
				await database.db
					.insertInto('mail_queue')
					.values({
						recipient: 'sweep@example.com',
						subject: values.id,
						text_body: '',
						html_body: '',
						created_at: now - 60 * day,
						next_attempt_at: now - 60 * day,
						...values
					})
					.execute();
			}
			await deleteFinishedMail(database.db, now);
			const left = await rowsTo('sweep@example.com');
			expect(left.map((r) => r.id).sort()).toEqual([
				'sweep-failed-new',
				'sweep-pending-old',
				'sweep-sent-new'
			]);
			await database.db
				.deleteFrom('mail_queue')
				.where('recipient', '=', 'sweep@example.com')
				.execute();
		});

		it('the dashboard counts mail waiting and failed, and names the newest failures with their reason', async () => {
			await database.db.deleteFrom('mail_queue').execute();
			const now = Date.now();
			await queueMail(database.db, { to: 'a@example.com', subject: 'waits', text: 'x', html: '' });
			await queueMail(database.db, {
				to: 'b@example.com',
				subject: 'waits too',
				text: 'x',
				html: ''
			});
			await database.db
				.insertInto('mail_queue')
				.values({
					id: 'dash-failed',
					recipient: 'gone@example.com',
					subject: 'Given up',
					text_body: '',
					html_body: '',
					status: 'failed',
					attempts: 31,
					created_at: now - 25 * HOUR,
					next_attempt_at: now - HOUR,
					last_error: 'The message could not be sent: 550 mailbox unavailable',
					failed_at: now - MINUTE
				})
				.execute();
			const dashboard = await getDashboard(testDeps(database.db), auditSubjects, now);
			expect(dashboard.mail).toEqual({
				waiting: 2,
				failed: 1,
				recentFailures: [
					{
						id: 'dash-failed',
						recipient: 'gone@example.com',
						subject: 'Given up',
						attempts: 31,
						lastError: 'The message could not be sent: 550 mailbox unavailable',
						failedAt: new Date(now - MINUTE)
					}
				]
			});
		});
	});
});
