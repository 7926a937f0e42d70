import { z } from 'zod';
import { codeSchema, emailSchema } from '../../../schemas/auth';
import { noInputSchema } from '../../../schemas/no-input';
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
		.input(z.strictObject({ email: emailSchema }))
		.mutation(({ ctx, input }) =>
			requestOtpEmailChange(ctx, actorOf(ctx), ctx.user.id, input.email)
		),

	confirmEmail: humanProcedure
		.meta({ description: 'Confirms your new two-factor address with the code sent to it.' })
		.input(z.strictObject({ code: codeSchema }))
		.mutation(async ({ ctx, input }) => ({
			email: await confirmOtpEmailChange(ctx.db, ctx.policy, actorOf(ctx), input.code)
		})),

	clearEmail: humanProcedure
		.meta({ description: 'Sends your codes to your account email again.' })
		.input(noInputSchema)
		.mutation(async ({ ctx }) => {
			await clearOtpEmail(ctx.db, actorOf(ctx), ctx.user.id);
			return { ok: true as const };
		}),

	requestEmailFor: adminStepUpProcedure
		.meta({
			description: 'Sends a code to a new two-factor address for another user (they confirm it).'
		})
		.input(z.strictObject({ userId: idSchema, email: emailSchema }))
		.mutation(({ ctx, input }) =>
			requestOtpEmailChange(ctx, actorOf(ctx), input.userId, input.email)
		),

	clearEmailFor: adminStepUpProcedure
		.meta({ description: "Sends another user's codes to their account email again." })
		.input(z.strictObject({ userId: idSchema }))
		.mutation(async ({ ctx, input }) => {
			await clearOtpEmail(ctx.db, actorOf(ctx), input.userId);
			return { ok: true as const };
		})
});
