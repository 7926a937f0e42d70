import { z } from 'zod';
import { noInputSchema } from '../../../schemas/no-input';
import { idSchema } from '../../../schemas/users';
import { listSessions, revokeOtherSessions, revokeSession } from '../../services/session-admin';
import { actorOf } from '../actor';
import { adminProcedure, humanProcedure, router, verifiedProcedure } from '../init';

export const sessionsRouter = router({
	all: adminProcedure
		.meta({ description: "Everyone's live sessions, newest first." })
		.input(z.strictObject({ userId: idSchema.optional() }).optional())
		.query(({ ctx, input }) => listSessions(ctx.db, { userId: input?.userId })),

	revoke: verifiedProcedure
		.meta({ description: 'Ends a session by its public id (members: only their own).' })
		.input(z.strictObject({ publicId: idSchema }))
		.mutation(async ({ ctx, input }) => {
			const ownerId = ctx.user.role === 'admin' ? null : ctx.user.id;
			await revokeSession(ctx.db, actorOf(ctx), input.publicId, ownerId);
			return { ok: true as const };
		}),

	revokeOthers: humanProcedure
		.meta({ description: 'Ends all your other sessions.' })
		.input(noInputSchema)
		.mutation(async ({ ctx }) => ({
			ended: await revokeOtherSessions(ctx.db, actorOf(ctx), ctx.sessionToken)
		}))
});
