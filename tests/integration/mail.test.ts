import { createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
	createMailer,
	InvalidRecipientError,
	latestOutboxMessage,
	listOutbox,
	MailDeliveryError,
	type Mailer,
	type MailerOptions,
	type OutgoingMail
} from '$lib/server/mail';
import { createMigratedDatabase, dialects, type TestDatabase } from '../../tools/databases';
import {
	startSilentSmtpServer,
	startSmtpSink,
	unusedPort,
	type SmtpSink
} from '../../tools/smtp-sink';

const FROM = 'Admin Console <admin@example.com>';
const CODE = '482913';

function message(overrides: Partial<OutgoingMail> = {}): OutgoingMail {
	return {
		to: 'alice@example.com',
		subject: 'Your sign-in code',
		text: `Your code is ${CODE}`,
		html: `<p>Your code is <b>${CODE}</b></p>`,
		...overrides
	};
}

const SMUGGLING_RECIPIENTS = [
	'a@x.io\r\nBcc: b@y.io',
	'a@x.io\nBcc: b@y.io',
	'a@x.io, b@y.io',
	'a@x.io;b@y.io',
	'A <a@x.io>',
	'<a@x.io>',
	''
];

// SMTP does not touch the database, but createMailer takes one: a SQLite file is enough.
let sqlite: TestDatabase;
beforeAll(async () => {
	sqlite = await createMigratedDatabase('sqlite');
});
afterAll(() => sqlite.drop());

function smtpMailer(smtpUrl: string, options: Partial<MailerOptions> = {}): Mailer {
	return createMailer({
		transport: 'smtp',
		smtpUrl,
		from: FROM,
		db: sqlite.db,
		...options
	});
}

describe('SMTP delivery', () => {
	let sink: SmtpSink;
	let mailer: Mailer;

	beforeAll(async () => {
		sink = await startSmtpSink();
		mailer = smtpMailer(sink.url);
	});
	afterAll(async () => {
		await mailer.close();
		await sink.stop();
	});

	it('reaches the server with one recipient, the configured sender, and both bodies', async () => {
		await mailer.send(message({ devNote: `code ${CODE}` }));
		const mail = await sink.waitForMessage((m) => m.subject === 'Your sign-in code');

		expect(mail.envelopeTo).toEqual(['alice@example.com']);
		expect(mail.envelopeFrom).toBe('admin@example.com');
		expect(mail.headers.from).toBe('Admin Console <admin@example.com>');
		expect(mail.to).toBe('alice@example.com');
		expect(mail.text.trim()).toBe(`Your code is ${CODE}`);
		expect(mail.html).toContain(`<b>${CODE}</b>`);
		// The dev note is for a developer's console, never part of a real message.
		expect(mail.raw).not.toContain('code 482913');
		expect(mail.headers).not.toHaveProperty('bcc');
		expect(mail.headers).not.toHaveProperty('cc');
	});

	it('sends each message to its own recipient only', async () => {
		await mailer.send(message({ to: 'bob@example.org', subject: 'For Bob' }));
		await mailer.send(message({ to: 'carol@example.net', subject: 'For Carol' }));
		const bob = await sink.waitForMessage((m) => m.subject === 'For Bob');
		const carol = await sink.waitForMessage((m) => m.subject === 'For Carol');
		expect(bob.envelopeTo).toEqual(['bob@example.org']);
		expect(carol.envelopeTo).toEqual(['carol@example.net']);
	});

	// Other suites read sign-in codes through the sink, so its waiting rules are pinned here.
	it('the sink waits for a message on its way and hands each message out once', async () => {
		const waiting = sink.waitForMessage((m) => m.envelopeTo.includes('dave@example.com'));
		await mailer.send(message({ to: 'dave@example.com', subject: 'code 1' }));
		await mailer.send(message({ to: 'dave@example.com', subject: 'code 2' }));
		expect((await waiting).subject).toBe('code 1');
		expect((await sink.waitForMessage((m) => m.to === 'dave@example.com')).subject).toBe('code 2');
		await expect(sink.waitForMessage((m) => m.to === 'dave@example.com', 100)).rejects.toThrow(
			/No matching message within 100 ms/
		);
	});

	it.each(SMUGGLING_RECIPIENTS)(
		'refuses the recipient %j before talking to the server',
		async (to) => {
			const before = sink.messages.length;
			const error = await mailer.send(message({ to })).catch((caught: unknown) => caught);
			expect(error).toBeInstanceOf(InvalidRecipientError);
			// The refused value may carry CR/LF: it stays out of the message, which may be logged.
			expect((error as Error).message).not.toContain('x.io');
			expect(sink.messages.length).toBe(before);
		}
	);
});

describe('SMTP failures', () => {
	it('a refused connection fails quickly with MailDeliveryError, the cause kept for logs', async () => {
		const mailer = smtpMailer(`smtp://127.0.0.1:${await unusedPort()}`, { timeoutMs: 1000 });
		const started = Date.now();
		const error = await mailer.send(message()).catch((caught: unknown) => caught);
		const elapsed = Date.now() - started;
		await mailer.close();

		expect(error).toBeInstanceOf(MailDeliveryError);
		const { message: text, cause } = error as MailDeliveryError;
		expect(text).toBe('The message could not be sent');
		expect(text).not.toContain(CODE);
		expect(text).not.toContain('alice');
		expect(String(cause)).toMatch(/ECONNREFUSED/);
		expect(elapsed).toBeLessThan(1000);
	});

	it('a server that accepts and never answers fails within the timeout', async () => {
		const silent = await startSilentSmtpServer();
		const mailer = smtpMailer(silent.url, { timeoutMs: 1000 });
		const started = Date.now();
		const error = await mailer.send(message()).catch((caught: unknown) => caught);
		const elapsed = Date.now() - started;
		await mailer.close();
		await silent.stop();

		expect(error).toBeInstanceOf(MailDeliveryError);
		expect(elapsed).toBeLessThan(3000);
	});

	it('a server that trickles an endless reply is cut off by the overall deadline', async () => {
		// Each line resets the socket's inactivity timer, so only the overall deadline ends this.
		const trickling = await startTricklingSmtpServer();
		const mailer = smtpMailer(trickling.url, { timeoutMs: 1000 });
		const started = Date.now();
		const error = await mailer.send(message()).catch((caught: unknown) => caught);
		const elapsed = Date.now() - started;
		await mailer.close();
		await trickling.stop();

		expect(error).toBeInstanceOf(MailDeliveryError);
		expect(elapsed).toBeLessThan(3000);
	});

	it('the smtp transport needs a URL', () => {
		expect(() => createMailer({ transport: 'smtp', from: FROM, db: sqlite.db })).toThrow(
			/SMTP_URL/
		);
	});
});

describe.each(dialects)('outbox on %s', (dialect) => {
	let database: TestDatabase;
	let output: string[];

	beforeAll(async () => {
		database = await createMigratedDatabase(dialect);
	});
	afterAll(() => database.drop());

	beforeEach(async () => {
		await database.db.deleteFrom('mail_outbox').execute();
		output = [];
		// Everything the mailer could print, on any console channel.
		for (const method of ['info', 'log', 'warn', 'error', 'debug'] as const) {
			vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
				output.push(args.map(String).join(' '));
			});
		}
	});
	afterEach(() => vi.restoreAllMocks());

	function outbox(): Mailer {
		return createMailer({ transport: 'outbox', from: FROM, db: database.db });
	}

	it('stores each message; listOutbox returns the newest first', async () => {
		const mailer = outbox();
		await mailer.send(message({ subject: 'first' }));
		await sleep(5);
		await mailer.send(message({ to: 'bob@example.org', subject: 'second' }));
		await sleep(5);
		await mailer.send(message({ subject: 'third', text: 'text 3', html: '<p>html 3</p>' }));

		const all = await listOutbox(database.db);
		expect(all.map((m) => m.subject)).toEqual(['third', 'second', 'first']);
		expect(all[0]).toMatchObject({
			recipient: 'alice@example.com',
			text: 'text 3',
			html: '<p>html 3</p>'
		});
		expect(all[0]!.createdAt).toBeInstanceOf(Date);
		expect(Math.abs(all[0]!.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
		expect((await listOutbox(database.db, 2)).map((m) => m.subject)).toEqual(['third', 'second']);
	});

	it('latestOutboxMessage finds the newest message to one address, or null', async () => {
		const mailer = outbox();
		await mailer.send(message({ subject: 'old code' }));
		await sleep(5);
		await mailer.send(message({ subject: 'new code' }));
		await sleep(5);
		await mailer.send(message({ to: 'bob@example.org', subject: 'for bob' }));

		expect((await latestOutboxMessage(database.db, 'alice@example.com'))?.subject).toBe('new code');
		expect(await latestOutboxMessage(database.db, 'nobody@example.com')).toBeNull();
	});

	it('prints one line with the dev note on the dev server', async () => {
		expect(import.meta.env.DEV).toBe(true); // vitest, like `vite dev`
		await outbox().send(message({ devNote: `code ${CODE}` }));
		expect(output).toEqual([
			`[mail] outbox: to alice@example.com · Your sign-in code · code ${CODE}`
		]);
	});

	it('prints no dev note outside the dev server (a build, a script), whatever NODE_ENV says', async () => {
		vi.stubEnv('DEV', false);
		try {
			await outbox().send(message({ devNote: `code ${CODE}` }));
		} finally {
			vi.unstubAllEnvs();
		}
		expect(output).toEqual(['[mail] outbox: to alice@example.com · Your sign-in code']);
	});

	it('never prints the body, and never stores the dev note', async () => {
		await outbox().send(
			message({ text: 'body-text-7731', html: '<p>body-html-7731</p>', devNote: 'note-5519' })
		);
		expect(output.join('\n')).not.toContain('7731');
		const rows = await database.db.selectFrom('mail_outbox').selectAll().execute();
		expect(rows).toHaveLength(1);
		expect(JSON.stringify(rows)).not.toContain('note-5519');
	});

	it.each(SMUGGLING_RECIPIENTS)('refuses the recipient %j and stores nothing', async (to) => {
		await expect(outbox().send(message({ to }))).rejects.toBeInstanceOf(InvalidRecipientError);
		expect(await listOutbox(database.db)).toEqual([]);
		expect(output).toEqual([]);
	});

	it('a database failure is a MailDeliveryError, like an SMTP one', async () => {
		const gone = await createMigratedDatabase(dialect);
		await gone.drop();
		const mailer = createMailer({ transport: 'outbox', from: FROM, db: gone.db });
		const error = await mailer.send(message()).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(MailDeliveryError);
		expect((error as Error).cause).toBeInstanceOf(Error);
		expect(output).toEqual([]);
	});
});

/** Greets, then answers EHLO with a multi-line reply that never ends, one line at a time. */
async function startTricklingSmtpServer(): Promise<{ url: string; stop(): Promise<void> }> {
	const sockets = new Set<Socket>();
	const timers = new Set<ReturnType<typeof setInterval>>();
	const server = createServer((socket) => {
		sockets.add(socket);
		socket.on('error', () => {});
		socket.write('220 trickle ESMTP\r\n');
		socket.once('data', () => {
			const timer = setInterval(() => socket.write('250-still thinking\r\n'), 200);
			timers.add(timer);
			socket.on('close', () => clearInterval(timer));
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
	const port = (server.address() as { port: number }).port;
	return {
		url: `smtp://127.0.0.1:${port}`,
		stop() {
			for (const timer of timers) clearInterval(timer);
			for (const socket of sockets) socket.destroy();
			return new Promise<void>((resolve) => server.close(() => resolve()));
		}
	};
}
