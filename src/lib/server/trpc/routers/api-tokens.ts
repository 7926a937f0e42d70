import { z } from 'zod';
import { noInputSchema } from '../../../schemas/no-input';
import { apiTokenIdSchema, createApiTokenSchema } from '../../../schemas/api-tokens';
import { idSchema } from '../../../schemas/users';
import { createApiToken, listApiTokens, revokeApiToken } from '../../services/api-tokens';
import { actorOf } from '../actor';
import { humanAdminProcedure, humanProcedure, router, stepUpProcedure } from '../init';

// Tokens manage nothing here: every procedure needs a person's verified session.
export const apiTokensRouter = router({
	create: stepUpProcedure
		.meta({
			description: 'Creates a personal API token (needs a fresh code); the token is shown once.'
		})
		.input(createApiTokenSchema)
		.mutation(async ({ ctx, input }) => {
			const created = await createApiToken(ctx.deps, actorOf(ctx), input);
			return { token: created.token, apiToken: created.summary };
		}),

	list: humanProcedure
		.meta({
			description:
				'All your API tokens (at most 50 are held), newest first: prefix and last use, never the token.'
		})
		.input(noInputSchema)
		.query(({ ctx }) => listApiTokens(ctx.deps, ctx.user.id)),

	revoke: humanProcedure
		.meta({ description: 'Revokes one of your API tokens.' })
		.input(apiTokenIdSchema)
		.mutation(async ({ ctx, input }) => {
			await revokeApiToken(ctx.deps, actorOf(ctx), input.id, ctx.user.id);
			return { ok: true as const };
		}),

	listFor: humanAdminProcedure
		.meta({ description: "All of a user's API tokens (at most 50 are held), newest first." })
		.input(z.strictObject({ userId: idSchema }))
		.query(({ ctx, input }) => listApiTokens(ctx.deps, input.userId)),

	revokeFor: humanAdminProcedure
		.meta({ description: "Revokes any user's API token." })
		.input(apiTokenIdSchema)
		.mutation(async ({ ctx, input }) => {
			await revokeApiToken(ctx.deps, actorOf(ctx), input.id, null);
			return { ok: true as const };
		})
});
