// Real SMTP servers on loopback for tests: a sink that keeps every message it is given, one
// that never speaks, and a port where nothing listens.
import { simpleParser, type AddressObject } from 'mailparser';
import { createServer, type Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
	/** MAIL FROM and RCPT TO: who the server was told to deliver to, whatever the headers say. */
	envelopeFrom: string;
	envelopeTo: string[];
	/** Header values as mailparser shows them (`Admin <admin@example.com>`). */
	from: string;
	to: string;
	subject: string;
	text: string;
	html: string;
	/** Lower-case header name -> unfolded raw value; the first one when a header repeats. */
	headers: Record<string, string>;
	raw: string;
}

export interface SmtpSink {
	url: string;
	port: number;
	/** Every message received, oldest first. */
	messages: CapturedMail[];
	/**
	 * The oldest matching message not yet returned by an earlier call, waiting for one if
	 * needed: a test that signs in twice gets the second code on its second call.
	 */
	waitForMessage(
		predicate?: (mail: CapturedMail) => boolean,
		timeoutMs?: number
	): Promise<CapturedMail>;
	stop(): Promise<void>;
}

/**
 * An SMTP server on 127.0.0.1 that accepts every message (no TLS, any or no login), on a free
 * port or on `port` (where a broken server listened before, say).
 */
export async function startSmtpSink({
	port: wanted = 0
}: { port?: number } = {}): Promise<SmtpSink> {
	const messages: CapturedMail[] = [];
	const taken = new Set<CapturedMail>();
	const waiters = new Set<() => void>();

	const server = new SMTPServer({
		logger: false,
		authOptional: true,
		allowInsecureAuth: true,
		disabledCommands: ['STARTTLS'],
		// Clients such as nodemailer's pool keep idle connections open; do not wait 30 s for them.
		closeTimeout: 250,
		onAuth(_auth, _session, callback) {
			callback(null, { user: 'test' });
		},
		onData(stream, session, callback) {
			const chunks: Buffer[] = [];
			stream.on('data', (chunk: Buffer) => chunks.push(chunk));
			stream.on('error', callback);
			stream.on('end', () => {
				const envelope = session.envelope;
				capture(
					Buffer.concat(chunks),
					envelope.mailFrom ? envelope.mailFrom.address : '',
					envelope.rcptTo
				)
					.then((mail) => {
						// Stored before the server answers, so once send() resolves the message is here.
						messages.push(mail);
						for (const wake of [...waiters]) wake();
						callback();
					})
					.catch(callback);
			});
		}
	});

	await new Promise<void>((resolve, reject) => {
		server.server.once('error', reject);
		server.listen(wanted, '127.0.0.1', () => resolve());
	});
	const port = (server.server.address() as { port: number }).port;

	function take(predicate: (mail: CapturedMail) => boolean): CapturedMail | undefined {
		const mail = messages.find((candidate) => !taken.has(candidate) && predicate(candidate));
		if (mail) taken.add(mail);
		return mail;
	}

	return {
		url: `smtp://127.0.0.1:${port}`,
		port,
		messages,
		waitForMessage(predicate = () => true, timeoutMs = 5000) {
			const ready = take(predicate);
			if (ready) return Promise.resolve(ready);
			return new Promise((resolve, reject) => {
				const wake = () => {
					const mail = take(predicate);
					if (!mail) return;
					finish();
					resolve(mail);
				};
				const timer = setTimeout(() => {
					finish();
					reject(
						new Error(
							`No matching message within ${timeoutMs} ms (${messages.length} received in all)`
						)
					);
				}, timeoutMs);
				const finish = () => {
					clearTimeout(timer);
					waiters.delete(wake);
				};
				waiters.add(wake);
			});
		},
		stop: () => new Promise<void>((resolve) => server.close(() => resolve()))
	};
}

async function capture(
	raw: Buffer,
	envelopeFrom: string,
	rcptTo: { address: string }[]
): Promise<CapturedMail> {
	const parsed = await simpleParser(raw);
	const headers: Record<string, string> = {};
	for (const { key, line } of parsed.headerLines) {
		const value = line
			.slice(line.indexOf(':') + 1)
			.replace(/\r?\n[ \t]+/g, ' ')
			.trim();
		headers[key.toLowerCase()] ??= value;
	}
	return {
		envelopeFrom,
		envelopeTo: rcptTo.map((recipient) => recipient.address),
		from: addressText(parsed.from),
		to: addressText(parsed.to),
		subject: parsed.subject ?? '',
		text: parsed.text ?? '',
		html: parsed.html || '',
		headers,
		raw: raw.toString('utf8')
	};
}

function addressText(value: AddressObject | AddressObject[] | undefined): string {
	if (!value) return '';
	return (Array.isArray(value) ? value : [value]).map((address) => address.text).join(', ');
}

/** Accepts connections and never says a word: a client waits for a greeting that never comes. */
export async function startSilentSmtpServer(): Promise<{
	url: string;
	port: number;
	stop(): Promise<void>;
}> {
	const sockets = new Set<Socket>();
	const server = createServer((socket) => {
		sockets.add(socket);
		socket.on('error', () => {});
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const port = (server.address() as { port: number }).port;
	return {
		url: `smtp://127.0.0.1:${port}`,
		port,
		stop() {
			for (const socket of sockets) socket.destroy();
			return new Promise<void>((resolve) => server.close(() => resolve()));
		}
	};
}

/** A loopback port that nothing listens on (just released by the OS), for "connection refused". */
export async function unusedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const port = (server.address() as { port: number }).port;
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return port;
}
