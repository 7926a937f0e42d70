import { z } from 'zod';
import { noInputSchema } from '../../../schemas/no-input';
import { idSchema, sessionListSchema } from '../../../schemas/users';
import { listSessions, revokeOtherSessions, revokeSession } from '../../services/session-admin';
import { actorOf } from '../actor';
import { adminProcedure, humanProcedure, router, verifiedProcedure } from '../init';

export const sessionsRouter = router({
	all: adminProcedure
		.meta({
			description:
				"Live sessions, everyone's or one user's, newest first, in pages (25 unless `pageSize` says 10, 50 or 100), with the total."
		})
		// No input at all is the first page of everyone's: `prefault` runs the defaults on `{}`.
		.input(sessionListSchema.prefault({}))
		.query(({ ctx, input }) => listSessions(ctx.deps, input)),

	revoke: verifiedProcedure
		.meta({ description: 'Ends a session by its public id (members: only their own).' })
		.input(z.strictObject({ publicId: idSchema }))
		.mutation(async ({ ctx, input }) => {
			const ownerId = ctx.user.role === 'admin' ? null : ctx.user.id;
			await revokeSession(ctx.deps, actorOf(ctx), input.publicId, ownerId);
			return { ok: true as const };
		}),

	revokeOthers: humanProcedure
		.meta({ description: 'Ends all your other sessions.' })
		.input(noInputSchema)
		.mutation(async ({ ctx }) => ({
			ended: await revokeOtherSessions(ctx.deps, actorOf(ctx), ctx.sessionToken)
		}))
});
