import type { AuthPolicy } from '../auth/policy';
import { requireRelyingParty, type RelyingParty } from '../auth/relying-party';
import type { Actor } from '../services/actor';

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
