import { z } from 'zod';
import { noInputSchema } from '../../../schemas/no-input';
import { idSchema, sessionListSchema } from '../../../schemas/users';
import { listSessions, revokeOtherSessions, revokeSession } from '../../services/session-admin';
import { actorOf } from '../actor';
import { adminProcedure, humanProcedure, router, verifiedProcedure } from '../init';
import { may } from '../scopes';

export const sessionsRouter = router({
	all: adminProcedure
		.meta({
			description:
				"Live sessions, everyone's or one user's, newest first, in pages (25 unless `pageSize` says 10, 50 or 100), with the total.",
			scope: 'sessions.read'
		})
		// No input at all is the first page of everyone's: `prefault` runs the defaults on `{}`.
		.input(sessionListSchema.prefault({}))
		.query(({ ctx, input }) => listSessions(ctx.deps, input)),

	revoke: verifiedProcedure
		.meta({
			description: 'Ends a session by its public id (members: only their own).',
			permission:
				"an API token needs `account.update` for the owner's own sessions, `sessions.delete` for anyone's",
			scope: ['account.update', 'sessions.delete']
		})
		.input(z.strictObject({ publicId: idSchema }))
		.mutation(async ({ ctx, input }) => {
			// Anyone's session for an admin, unless their token lacks `sessions.delete`: then, like
			// a member, only their own (someone else's answers as one that does not exist).
			const anyone = ctx.user.role === 'admin' && may(ctx, 'sessions.delete');
			const ownerId = anyone ? null : ctx.user.id;
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
