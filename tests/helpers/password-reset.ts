// Password reset links in tests: the mails (subjects as templates.ts writes them with the default
// app name) and the token out of a link.
import type { CapturedMail, SmtpSink } from '../../tools/smtp-sink';

export const RESET_LINK_SUBJECT = 'Reset your Admin password';
export const RESET_DONE_SUBJECT = 'Your Admin password was reset';

/** The link's token (43 base64url characters after /login/reset/). */
export function resetTokenIn(mail: Pick<CapturedMail, 'text'>): string {
	const match = /\/login\/reset\/([A-Za-z0-9_-]{43})\b/.exec(mail.text);
	if (!match) throw new Error(`No reset link in the mail:\n${mail.text}`);
	return match[1]!;
}

/** The next reset link mailed to `email`: the mail, its URL and its token. */
export async function waitForResetLink(
	sink: SmtpSink,
	email: string,
	timeoutMs = 5000
): Promise<{ mail: CapturedMail; url: string; token: string }> {
	const mail = await sink.waitForMessage(
		(m) => m.subject === RESET_LINK_SUBJECT && m.envelopeTo.includes(email),
		timeoutMs
	);
	const url = /https?:\/\/\S+\/login\/reset\/[A-Za-z0-9_-]{43}/.exec(mail.text)![0];
	return { mail, url, token: resetTokenIn(mail) };
}

/** Reset-link mails sent to `email` so far. */
export function resetMailsTo(sink: SmtpSink, email: string): CapturedMail[] {
	return sink.messages.filter(
		(m) => m.subject === RESET_LINK_SUBJECT && m.envelopeTo.includes(email)
	);
}
