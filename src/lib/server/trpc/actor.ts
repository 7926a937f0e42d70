import type { Actor } from '../services/actor';

/** Who does it, for the audit trail. */
export function actorOf(ctx: {
	user: { id: string };
	clientAddress: string;
	userAgent: string | null;
}): Actor {
	return { actorId: ctx.user.id, ip: ctx.clientAddress, userAgent: ctx.userAgent };
}
