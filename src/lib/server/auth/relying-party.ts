// Who the WebAuthn relying party is: its origin and ID (the origin's host name). Keys are bound to
// the RP ID when they are registered, and every answer names the origin the browser saw, so both
// must be the site's public address, never a guess.
import { RelyingPartyUnknownError } from '../errors';
import type { AuthPolicy } from './policy';

export interface RelyingParty {
	/** The RP ID: the origin's host name (no scheme, no port). */
	id: string;
	/** The origin every answer must come from, e.g. `https://admin.example.com`. */
	origin: string;
}

/**
 * ORIGIN when it is set. Unset, the config says the origin is adapter-node's (or the dev
 * server's): derived from the request (Host, and PROTOCOL_HEADER behind a proxy), the same origin
 * the CSRF checks compare with, so that is the one used. No request (a script, a test's caller)
 * and no ORIGIN: null, and callers refuse rather than guess.
 */
export function relyingPartyFor(
	policy: Pick<AuthPolicy, 'webauthn'>,
	requestUrl: URL | null
): RelyingParty | null {
	const origin = policy.webauthn.origin ?? requestUrl?.origin ?? null;
	if (!origin || origin === 'null') return null;
	return { id: new URL(origin).hostname, origin };
}

/** The relying party, or RelyingPartyUnknownError: nothing is registered or checked on a guess. */
export function requireRelyingParty(
	policy: Pick<AuthPolicy, 'webauthn'>,
	requestUrl: URL | null
): RelyingParty {
	const rp = relyingPartyFor(policy, requestUrl);
	if (!rp) throw new RelyingPartyUnknownError();
	return rp;
}
