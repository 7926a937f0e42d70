import { z } from 'zod';
import { totpCodeSchema } from '../../../schemas/auth';
import { noInputSchema } from '../../../schemas/no-input';
import { idSchema } from '../../../schemas/users';
import {
	beginTotpEnrolment,
	confirmTotpEnrolment,
	pendingTotpEnrolment,
	removeTotp,
	totpStatus
} from '../../services/totp';
import { actorOf } from '../actor';
import { router, stepUpProcedure, verifiedProcedure } from '../init';

// Your own authenticator app. An authenticator decides who can finish a sign-in, so setting one
// up, reading its secret back and removing it need a fresh code (step-up), and API tokens can do
// none of it (the step-up tier is for a person's session only). A session that must first set up a
// factor its role requires (FACTOR_POLICY) may read the status and set one up: `enrolment: true`.
export const totpRouter = router({
	status: verifiedProcedure
		.meta({
			description: 'Whether you have an authenticator app set up, and whether it still works.',
			scope: 'account.read',
			enrolment: true
		})
		.input(noInputSchema)
		.query(({ ctx }) => totpStatus(ctx.deps, ctx.user.id)),

	begin: stepUpProcedure
		.meta({
			description:
				'Starts setting up an authenticator app: a new secret and its otpauth:// URI, to confirm with a first code (needs a fresh code).',
			enrolment: true
		})
		.input(noInputSchema)
		.mutation(({ ctx }) => beginTotpEnrolment(ctx.deps, ctx.user.id)),

	pending: stepUpProcedure
		.meta({
			description:
				'The authenticator setup in progress (its secret and URI), or null (needs a fresh code).',
			enrolment: true
		})
		.input(noInputSchema)
		.query(({ ctx }) => pendingTotpEnrolment(ctx.deps, ctx.user.id)),

	confirm: stepUpProcedure
		.meta({
			description:
				'Completes the setup with a first code from the app; replaces your previous authenticator (needs a fresh code).',
			enrolment: true
		})
		.input(z.strictObject({ enrolmentId: idSchema, code: totpCodeSchema }))
		.mutation(({ ctx, input }) =>
			confirmTotpEnrolment(ctx.deps, actorOf(ctx), ctx.user.id, input.enrolmentId, input.code)
		),

	remove: stepUpProcedure
		.meta({ description: 'Removes your authenticator app (needs a fresh code).' })
		.input(noInputSchema)
		.mutation(async ({ ctx }) => ({
			removed: await removeTotp(ctx.deps, actorOf(ctx), ctx.user.id)
		}))
});
