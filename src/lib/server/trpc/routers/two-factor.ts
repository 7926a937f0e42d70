import { z } from 'zod';
import { emailSchema } from '../../../schemas/auth';
import { idSchema } from '../../../schemas/users';
import {
	clearOtpEmail,
	confirmOtpEmailChange,
	requestOtpEmailChange
} from '../../services/two-factor-email';
import { actorOf } from '../actor';
import { adminStepUpProcedure, humanProcedure, router } from '../init';

export const twoFactorRouter = router({
	requestEmail: humanProcedure
		.meta({ description: 'Sends a code to a new two-factor address of your own.' })
		.input(z.object({ email: emailSchema }))
		.mutation(({ ctx, input }) =>
			requestOtpEmailChange(ctx, actorOf(ctx), ctx.user.id, input.email)
		),

	confirmEmail: humanProcedure
		.meta({ description: 'Confirms your new two-factor address with the code sent to it.' })
		.input(z.object({ code: z.string().trim().min(1).max(32) }))
		.mutation(async ({ ctx, input }) => ({
			email: await confirmOtpEmailChange(ctx.db, ctx.policy, actorOf(ctx), input.code)
		})),

	clearEmail: humanProcedure
		.meta({ description: 'Sends your codes to your account email again.' })
		.mutation(async ({ ctx }) => {
			await clearOtpEmail(ctx.db, actorOf(ctx), ctx.user.id);
			return { ok: true as const };
		}),

	requestEmailFor: adminStepUpProcedure
		.meta({
			description: 'Sends a code to a new two-factor address for another user (they confirm it).'
		})
		.input(z.object({ userId: idSchema, email: emailSchema }))
		.mutation(({ ctx, input }) =>
			requestOtpEmailChange(ctx, actorOf(ctx), input.userId, input.email)
		),

	clearEmailFor: adminStepUpProcedure
		.meta({ description: "Sends another user's codes to their account email again." })
		.input(z.object({ userId: idSchema }))
		.mutation(async ({ ctx, input }) => {
			await clearOtpEmail(ctx.db, actorOf(ctx), input.userId);
			return { ok: true as const };
		})
});
