import { z } from 'zod';
import { noInputSchema } from '../../../schemas/no-input';
import { apiTokenIdSchema, createApiTokenSchema } from '../../../schemas/api-tokens';
import { idSchema } from '../../../schemas/users';
import {
	createApiToken,
	listApiTokens,
	permissionsHeld,
	revokeApiToken
} from '../../services/api-tokens';
import { actorOf } from '../actor';
import { humanAdminProcedure, humanProcedure, router, stepUpProcedure } from '../init';
import { tokenPermissionGroups } from '../token-permissions';

// Tokens manage nothing here: every procedure needs a person's verified session.
export const apiTokensRouter = router({
	create: stepUpProcedure
		.meta({
			description:
				'Creates a personal API token (needs a fresh code); the token is shown once. `scopes`: permissions your role holds (see `apiTokens.permissions`), or `read` / `write`.'
		})
		.input(createApiTokenSchema)
		.mutation(async ({ ctx, input }) => {
			const rules = { groups: tokenPermissionGroups, role: ctx.user.role };
			const created = await createApiToken(ctx.deps, actorOf(ctx), input, rules);
			return { token: created.token, apiToken: created.summary };
		}),

	permissions: humanProcedure
		.meta({
			description:
				'The permissions a new token of yours may name (those your role holds), by resource; besides them the shorthands `read` and `write`.'
		})
		.input(noInputSchema)
		.query(({ ctx }) => permissionsHeld({ groups: tokenPermissionGroups, role: ctx.user.role })),

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
