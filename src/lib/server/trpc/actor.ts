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
