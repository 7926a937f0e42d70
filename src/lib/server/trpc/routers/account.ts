import { changePasswordSchema, ownSessionListSchema } from '../../../schemas/users';
import { changeOwnPassword, listOwnSessions } from '../../services/account';
import { actorOf } from '../actor';
import { humanProcedure, router, verifiedProcedure } from '../init';

export const accountRouter = router({
	sessions: verifiedProcedure
		.meta({
			description:
				'Your live sessions, newest first, in pages (25 unless `pageSize` says 10, 50 or 100), with the total; `current` marks the one making the call.',
			scope: 'account.read'
		})
		// No input at all is the first page: `prefault` runs the defaults on `{}`.
		.input(ownSessionListSchema.prefault({}))
		.query(({ ctx, input }) => listOwnSessions(ctx.deps, ctx.user.id, ctx.session.publicId, input)),

	changePassword: humanProcedure
		.meta({
			description:
				'Changes your password (needs the current one); ends your other sessions and API tokens.'
		})
		.input(changePasswordSchema)
		.mutation(async ({ ctx, input }) => {
			await changeOwnPassword(ctx.deps, actorOf(ctx), ctx.sessionToken, input);
			return { ok: true as const };
		})
});
