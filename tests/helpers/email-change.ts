// Email changes in tests: the rules with a site origin (links are absolute, and a server-side
// caller has no request to take one from), the mails' subjects, and the links out of them.
import type { AuthPolicy } from '$lib/server/auth/policy';
import type { CapturedMail, SmtpSink } from '../../tools/smtp-sink';
import { policyWithOrigin as withOrigin } from './origin-policy';

export const LINK_ORIGIN = 'https://admin.example.test';

/** The configuration's rules with ORIGIN set, as a deployment has it. */
export function policyWithOrigin(): AuthPolicy {
	return withOrigin(LINK_ORIGIN);
}

/** templates.ts, default app name. */
export const LINK_SUBJECT = 'Confirm the new email address of your Admin account';
export const REQUESTED_SUBJECT = 'A new email address was requested for your Admin account';
export const CHANGED_SUBJECT = 'The address of your Admin account changed';

/** The token of the one link to `path` in a mail's text, checked to be absolute from ORIGIN. */
export function linkToken(mail: Pick<CapturedMail, 'text'>, path: string): string {
	const links = [...mail.text.matchAll(/https?:\/\/[^\s]+/g)].map((match) => match[0]);
	if (links.length !== 1) throw new Error(`Expected one link in the email:\n${mail.text}`);
	const url = new URL(links[0]!);
	if (url.origin !== LINK_ORIGIN || url.pathname !== path) {
		throw new Error(`Unexpected link ${url.origin}${url.pathname}`);
	}
	return url.searchParams.get('token')!;
}

/** The confirmation link's token from the next mail of its kind to `to`. */
export async function waitForConfirmToken(sink: SmtpSink, to: string): Promise<string> {
	const mail = await sink.waitForMessage(
		(m) => m.subject === LINK_SUBJECT && m.envelopeTo.includes(to)
	);
	return linkToken(mail, '/email/confirm');
}

/** The next "a new address was requested" notice to `to`, with its report link's token. */
export async function waitForRequestNotice(
	sink: SmtpSink,
	to: string
): Promise<{ mail: CapturedMail; reportToken: string }> {
	const mail = await sink.waitForMessage(
		(m) => m.subject === REQUESTED_SUBJECT && m.envelopeTo.includes(to)
	);
	return { mail, reportToken: linkToken(mail, '/email/report') };
}
