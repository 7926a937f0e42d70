// The origin every mailed link (an invitation, a password reset, an email change) is built on.
// A link in a real mail from us must never point anywhere an attacker chose: in production the
// origin is ORIGIN alone, since without it adapter-node derives the request's origin from the Host
// header, which anyone can forge. Outside production (the dev server, tests) the request's own
// origin is fine. A script with neither (no request): none, and the link is refused, never guessed.
import type { AuthPolicy } from './policy';
import { SiteAddressUnknownError } from '../errors';

export function mailedLinkOrigin(
	policy: Pick<AuthPolicy, 'mailedLinks'>,
	requestUrl: URL | null
): string | null {
	const { origin, requestOriginAllowed } = policy.mailedLinks;
	const chosen = origin ?? (requestOriginAllowed ? (requestUrl?.origin ?? null) : null);
	return chosen && chosen !== 'null' ? chosen : null;
}

/** mailedLinkOrigin, or SiteAddressUnknownError ("set ORIGIN") before anything is written. */
export function requireMailedLinkOrigin(
	policy: Pick<AuthPolicy, 'mailedLinks'>,
	requestUrl: URL | null
): string {
	const origin = mailedLinkOrigin(policy, requestUrl);
	if (!origin) throw new SiteAddressUnknownError();
	return origin;
}
