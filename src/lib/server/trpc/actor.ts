import type { AuthPolicy } from '../auth/policy';
import { relyingPartyFor, requireRelyingParty, type RelyingParty } from '../auth/relying-party';
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

/**
 * The origin mailed links point to: ORIGIN, or (unset) the request's own origin, the one the CSRF
 * checks compare with, as for the relying party. Null (a script's or test's caller without ORIGIN):
 * the services refuse to mail a link rather than guess.
 */
export function linkOriginOf(ctx: {
	policy: Pick<AuthPolicy, 'webauthn'>;
	event: { url: URL } | null;
}): string | null {
	return relyingPartyFor(ctx.policy, ctx.event?.url ?? null)?.origin ?? null;
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
