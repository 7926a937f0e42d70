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
import { adminStepUpProcedure, router, stepUpProcedure } from '../init';

// Where codes go decides who can finish a sign-in or a step-up: every change to it needs a
// fresh code, for your own address as for anyone's.
export const twoFactorRouter = router({
	requestEmail: stepUpProcedure
		.meta({
			description: 'Sends a code to a new two-factor address of your own (needs a fresh code).'
		})
		.input(z.strictObject({ email: emailSchema }))
		.mutation(({ ctx, input }) =>
			requestOtpEmailChange(ctx.deps, actorOf(ctx), ctx.user.id, input.email)
		),

	confirmEmail: stepUpProcedure
		.meta({
			description:
				'Confirms your new two-factor address with the code sent to it (needs a fresh code).'
		})
		.input(z.strictObject({ code: codeSchema }))
		.mutation(async ({ ctx, input }) => ({
			email: await confirmOtpEmailChange(ctx.deps, actorOf(ctx), input.code)
		})),

	clearEmail: stepUpProcedure
		.meta({ description: 'Sends your codes to your account email again (needs a fresh code).' })
		.input(noInputSchema)
		.mutation(async ({ ctx }) => {
			await clearOtpEmail(ctx.deps, actorOf(ctx), ctx.user.id);
			return { ok: true as const };
		}),

	requestEmailFor: adminStepUpProcedure
		.meta({
			description:
				'Sends a code to a new two-factor address for another user, who confirms it (needs a fresh code).'
		})
		.input(z.strictObject({ userId: idSchema, email: emailSchema }))
		.mutation(({ ctx, input }) =>
			requestOtpEmailChange(ctx.deps, actorOf(ctx), input.userId, input.email)
		),

	clearEmailFor: adminStepUpProcedure
		.meta({
			description: "Sends another user's codes to their account email again (needs a fresh code)."
		})
		.input(z.strictObject({ userId: idSchema }))
		.mutation(async ({ ctx, input }) => {
			await clearOtpEmail(ctx.deps, actorOf(ctx), input.userId);
			return { ok: true as const };
		})
});
