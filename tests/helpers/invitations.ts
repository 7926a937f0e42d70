// Invitations in tests: the mail the app sends, the link's token out of it, and a policy whose
// ORIGIN is set (server-side callers have no request whose origin a link could use).
import { vi } from 'vitest';
import type { AuthPolicy } from '$lib/server/auth/policy';
import type { CapturedMail, SmtpSink } from '../../tools/smtp-sink';
import { TEST_ORIGIN } from './security-keys';
import { policyWithOrigin as withOrigin } from './origin-policy';

/** The subject of the invitation mail (templates.ts, default app name). */
export const INVITATION_SUBJECT = 'You are invited to Admin';

/** The configuration's policy with ORIGIN set to TEST_ORIGIN. */
export function policyWithOrigin(origin = TEST_ORIGIN): AuthPolicy {
	return withOrigin(origin);
}

export function isInvitationTo(email: string): (mail: CapturedMail) => boolean {
	return (mail) => mail.subject === INVITATION_SUBJECT && mail.envelopeTo.includes(email);
}

/** The link in an invitation mail's text (its one URL line) and the token in it. */
export function invitationLinkOf(mail: Pick<CapturedMail, 'text'>): { url: URL; token: string } {
	const lines = [...mail.text.matchAll(/^\s*(https?:\/\/\S+)\s*$/gm)].map((match) => match[1]!);
	if (lines.length !== 1) throw new Error(`Expected one link line, found ${lines.length}`);
	const url = new URL(lines[0]!);
	const token = url.searchParams.get('token');
	if (!token) throw new Error(`No token in ${url.pathname}`);
	return { url, token };
}

/** Waits for the next invitation mail to `email`. */
export async function waitForInvitation(
	sink: SmtpSink,
	email: string,
	timeoutMs = 5000
): Promise<{ mail: CapturedMail; url: URL; token: string }> {
	const mail = await sink.waitForMessage(isInvitationTo(email), timeoutMs);
	return { mail, ...invitationLinkOf(mail) };
}

/**
 * Moves the app's clock (Date only) to a point at least 2 hours before the next UTC midnight,
 * so a test that steps through minutes stays within one day's fixed rate-limit window.
 */
export function clockInsideOneDay(): void {
	const DAY = 24 * 60 * 60 * 1000;
	const now = Date.now();
	const leftToday = DAY - (now % DAY);
	vi.useFakeTimers({ toFake: ['Date'] });
	if (leftToday < 2 * 60 * 60 * 1000) vi.setSystemTime(now + leftToday + 60_000);
}
