import { noInputSchema } from '../../../schemas/no-input';
import { changePasswordSchema } from '../../../schemas/users';
import { changeOwnPassword, listOwnSessions } from '../../services/account';
import { actorOf } from '../actor';
import { humanProcedure, router, verifiedProcedure } from '../init';

export const accountRouter = router({
	sessions: verifiedProcedure
		.meta({ description: 'All your live sessions, newest first.' })
		.input(noInputSchema)
		.query(({ ctx }) => listOwnSessions(ctx.deps, ctx.user.id, ctx.session.publicId)),

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
