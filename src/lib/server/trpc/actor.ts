import type { AuthPolicy } from '../auth/policy';
import { mailedLinkOrigin, requireMailedLinkOrigin } from '../auth/link-origin';
import { requireRelyingParty, type RelyingParty } from '../auth/relying-party';
import type { Actor } from '../services/actor';
import type { LinkOpener } from '../services/email-change';

/** Who does it, for the audit trail. */
export function actorOf(ctx: {
	user: { id: string };
	clientAddress: string;
	userAgent: string | null;
}): Actor {
	return { actorId: ctx.user.id, ip: ctx.clientAddress, userAgent: ctx.userAgent };
}

/** Where a call comes from when no signed-in person makes it (sign-in, first-run setup). */
export function originOf(ctx: {
	clientAddress: string;
	userAgent: string | null;
}): Actor<null> & { ip: string } {
	return { actorId: null, ip: ctx.clientAddress, userAgent: ctx.userAgent };
}

/**
 * The WebAuthn relying party of this call: ORIGIN, or (unset) the request's own origin; neither
 * (a script's or test's caller without ORIGIN): RelyingPartyUnknownError, never a guess.
 */
export function relyingPartyOf(ctx: {
	policy: Pick<AuthPolicy, 'webauthn'>;
	event: { url: URL } | null;
}): RelyingParty {
	return requireRelyingParty(ctx.policy, ctx.event?.url ?? null);
}

/** The origin mailed links point to (auth/link-origin.ts); null: the services refuse the link. */
export function linkOriginOf(ctx: {
	policy: Pick<AuthPolicy, 'mailedLinks'>;
	event: { url: URL } | null;
}): string | null {
	return mailedLinkOrigin(ctx.policy, ctx.event?.url ?? null);
}

/** linkOriginOf, or SiteAddressUnknownError ("set ORIGIN") before anything is written. */
export function requireLinkOriginOf(ctx: {
	policy: Pick<AuthPolicy, 'mailedLinks'>;
	event: { url: URL } | null;
}): string {
	return requireMailedLinkOrigin(ctx.policy, ctx.event?.url ?? null);
}

/** Who opens a mailed link: the person signed in on this browser (any session state), or nobody. */
export function openerOf(ctx: {
	user: { id: string } | null;
	apiToken: unknown;
	clientAddress: string;
	userAgent: string | null;
}): LinkOpener {
	return {
		actorId: ctx.user?.id ?? null,
		ip: ctx.clientAddress,
		userAgent: ctx.userAgent,
		viaApiToken: ctx.apiToken !== null && ctx.apiToken !== undefined
	};
}
