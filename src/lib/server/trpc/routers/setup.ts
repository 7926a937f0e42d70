import { z } from 'zod';
import { setupSchema } from '../../../schemas/auth';
import { completeSetup, isSetupLinkValid } from '../../services/setup';
import { originOf } from '../actor';
import { publicProcedure, router } from '../init';

export const setupRouter = router({
	status: publicProcedure
		.meta({ description: 'Whether a first-run setup link is still valid.' })
		.input(z.strictObject({ token: z.string().min(1).max(128) }))
		.query(async ({ ctx, input }) => ({ valid: await isSetupLinkValid(ctx.deps, input.token) })),

	complete: publicProcedure
		.meta({ description: 'Creates the first admin with a first-run setup link.' })
		.input(setupSchema)
		.mutation(async ({ ctx, input }) => {
			await completeSetup(ctx.deps, input, originOf(ctx));
			return { ok: true as const };
		})
});
