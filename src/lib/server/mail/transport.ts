// Two ways out: SMTP for real deployments, and the database outbox for development and tests.
// Both refuse anything but one plain recipient before doing any I/O.
import type { Kysely } from 'kysely';
import type { Transporter } from 'nodemailer';
import type { Database } from '../db/schema';
import { isDevServer } from '../dev-server';
import { isSingleAddress } from './address';
import { insertOutboxMessage } from './outbox';

export interface OutgoingMail {
	to: string;
	subject: string;
	text: string;
	html: string;
	/** Printed on the console by the outbox in development only (e.g. the code); never stored. */
	devNote?: string;
}

export interface Mailer {
	readonly transport: 'smtp' | 'outbox';
	send(mail: OutgoingMail): Promise<void>;
	close(): Promise<void>;
}

/** The message was not delivered. The message is generic; `cause` holds the details for logs. */
export class MailDeliveryError extends Error {
	name = 'MailDeliveryError';
}

/** `to` was not exactly one plain address. The value itself is left out (it may hold CR/LF). */
export class InvalidRecipientError extends Error {
	name = 'InvalidRecipientError';
}

export interface MailerOptions {
	transport: 'smtp' | 'outbox';
	smtpUrl?: string;
	from: string;
	db: Kysely<Database>;
	/** Per SMTP step and, plus a little, for the whole send; default and maximum 10 s. */
	timeoutMs?: number;
	/** Where the outbox prints its one-line notice; the CLIs pass stderr, keeping stdout theirs. */
	log?: (line: string) => void;
}

const MAX_TIMEOUT_MS = 10_000;
// The per-step timeouts fire first; this margin only catches a server that trickles replies.
const DEADLINE_MARGIN_MS = 500;

export function createMailer(options: MailerOptions): Mailer {
	return options.transport === 'smtp' ? createSmtpMailer(options) : createOutboxMailer(options);
}

function createSmtpMailer(options: MailerOptions): Mailer {
	const { smtpUrl } = options;
	if (!smtpUrl) throw new Error('SMTP_URL is required when MAIL_TRANSPORT=smtp');
	// A sign-in waits on this send, so a slow server must fail fast rather than hang a request.
	const timeoutMs = Math.min(options.timeoutMs ?? MAX_TIMEOUT_MS, MAX_TIMEOUT_MS);
	const envelopeFrom = addressPart(options.from);
	// nodemailer is loaded with the first message: about 4 MB of heap that a process holds from
	// then on, which a process that never mails (a script that only reads, say) does not need.
	let transporter: Promise<Transporter> | undefined;
	const getTransporter = () => (transporter ??= openTransporter(smtpUrl, timeoutMs));

	return {
		transport: 'smtp',
		async send(mail) {
			assertSingleRecipient(mail.to);
			try {
				const smtp = await getTransporter();
				await withDeadline(timeoutMs + DEADLINE_MARGIN_MS, (signal) =>
					smtp.sendMail({
						from: options.from,
						to: mail.to,
						subject: mail.subject,
						text: mail.text,
						html: mail.html,
						// An explicit envelope: the server is told of this one recipient and no other,
						// whatever the headers say; maxRecipients is nodemailer's own backstop.
						envelope: { from: envelopeFrom, to: [mail.to] },
						maxRecipients: 1,
						// Also takes a message still waiting in the pool's queue out of it.
						signal
					})
				);
			} catch (error) {
				throw new MailDeliveryError('The message could not be sent', { cause: error });
			}
		},
		async close() {
			(await transporter)?.close();
		}
	};
}

async function openTransporter(smtpUrl: string, timeoutMs: number): Promise<Transporter> {
	const [{ createTransport }, { parseConnectionUrl }] = await Promise.all([
		import('nodemailer'),
		import('nodemailer/lib/shared')
	]);
	return createTransport({
		// Query parameters of the URL (tls.*, requireTLS, ...) still apply; the timeouts below
		// come after them so the URL cannot lift the bound.
		...parseConnectionUrl(smtpUrl),
		pool: true,
		connectionTimeout: timeoutMs,
		greetingTimeout: timeoutMs,
		socketTimeout: timeoutMs,
		// Bodies are our own strings; never let a message field read a file or fetch a URL.
		disableFileAccess: true,
		disableUrlAccess: true
	});
}

function createOutboxMailer(options: MailerOptions): Mailer {
	return {
		transport: 'outbox',
		async send(mail) {
			assertSingleRecipient(mail.to);
			try {
				await insertOutboxMessage(options.db, mail);
			} catch (error) {
				// Callers handle one failure type, whichever transport is configured.
				throw new MailDeliveryError('The message could not be sent', { cause: error });
			}
			// The body holds the code: never printed. The dev note (the code itself) is for a
			// developer's own console: the dev server's only, never a build's log.
			const note = isDevServer() && mail.devNote ? ` · ${mail.devNote}` : '';
			(options.log ?? console.info)(`[mail] outbox: to ${mail.to} · ${mail.subject}${note}`);
		},
		async close() {}
	};
}

/** The transport's reason (e.g. ECONNREFUSED, a 5xx reply) for logs; never holds a body or code. */
export function describeMailError(error: unknown): string {
	if (!(error instanceof Error)) return String(error);
	const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
	// One line, whatever the server replied.
	return (error.message + cause).replace(/\s+/g, ' ');
}

function assertSingleRecipient(to: string): void {
	if (!isSingleAddress(to)) {
		throw new InvalidRecipientError('The recipient must be a single email address');
	}
}

/** `Admin <admin@example.com>` -> `admin@example.com`; a bare address is returned as is. */
function addressPart(from: string): string {
	return /<([^<>]+)>\s*$/.exec(from)?.[1]?.trim() ?? from.trim();
}

/** Runs `task` with a signal that aborts after `ms`, and fails then even if `task` ignores it. */
async function withDeadline<T>(ms: number, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
	const controller = new AbortController();
	let timer: ReturnType<typeof setTimeout> | undefined;
	const expired = new Promise<never>((_, reject) => {
		timer = setTimeout(() => {
			const error = new Error(`No answer from the SMTP server within ${ms} ms`);
			controller.abort(error);
			reject(error);
		}, ms);
	});
	try {
		return await Promise.race([task(controller.signal), expired]);
	} finally {
		clearTimeout(timer);
	}
}
