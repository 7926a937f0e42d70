// The mail module's public face; the process-wide mailer is built from the configuration.
import { getConfig } from '../config';
import { getDatabase } from '../db';
import { createMailer, type Mailer } from './transport';

export * from './address';
export * from './outbox';
export * from './queue';
export * from './sender';
export * from './templates';
export * from './transport';

let mailer: Mailer | undefined;

/** The process's mailer (one SMTP pool, or the outbox), created on first use. */
export function getMailer(): Mailer {
	if (!mailer) {
		const config = getConfig();
		mailer = createMailer({
			transport: config.mail.transport,
			smtpUrl: config.mail.smtpUrl,
			from: config.mail.from,
			db: getDatabase().db
		});
	}
	return mailer;
}

/** Closes the SMTP pool (for shutdown and tests); the next getMailer() builds a new one. */
export async function closeMailer(): Promise<void> {
	const closing = mailer;
	mailer = undefined;
	await closing?.close();
}
