import { z } from 'zod';
import { noInputSchema } from '../../../schemas/no-input';
import { changePasswordSchema, idSchema, ownSessionListSchema } from '../../../schemas/users';
import { emailSchema } from '../../../schemas/auth';
import { changeOwnPassword, listOwnSessions } from '../../services/account';
import { cancelEmailChange, requestEmailChange } from '../../services/email-change';
import {
	forgetAllOwnDevices,
	forgetOwnDevice,
	listOwnDevices
} from '../../services/remembered-devices';
import { actorOf, linkOriginOf } from '../actor';
import { humanProcedure, router, stepUpProcedure, verifiedProcedure } from '../init';

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

	devices: verifiedProcedure
		.meta({
			description:
				'Your remembered devices ("Don\'t ask again on this device"), newest first: browser, address, created, last used, expiry.',
			scope: 'account.read'
		})
		.input(noInputSchema)
		.query(({ ctx }) => listOwnDevices(ctx.deps, ctx.user.id)),

	// Forgetting only takes access away: a person's session, no fresh code. Not for API tokens,
	// which never sign in through a device.
	forgetDevice: humanProcedure
		.meta({
			description: 'Forgets one of your remembered devices: it asks for the second step again.'
		})
		.input(z.strictObject({ publicId: idSchema }))
		.mutation(async ({ ctx, input }) => {
			await forgetOwnDevice(ctx.deps, actorOf(ctx), input.publicId);
			return { ok: true as const };
		}),

	forgetAllDevices: humanProcedure
		.meta({ description: 'Forgets all your remembered devices; returns how many.' })
		.input(noInputSchema)
		.mutation(async ({ ctx }) => ({
			forgotten: await forgetAllOwnDevices(ctx.deps, actorOf(ctx))
		})),

	changePassword: humanProcedure
		.meta({
			description:
				'Changes your password (needs the current one); ends your other sessions, your remembered devices and your API tokens.'
		})
		.input(changePasswordSchema)
		.mutation(async ({ ctx, input }) => {
			await changeOwnPassword(ctx.deps, actorOf(ctx), ctx.sessionToken, input);
			return { ok: true as const };
		}),

	// The email is where notices go, and codes when no separate two-factor address is set: a stolen
	// session must not move it, so step-up and never a token. It takes effect only once the link
	// mailed to the new address is opened; the current address is told and can report it.
	changeEmail: stepUpProcedure
		.meta({
			description:
				'Asks for a new account email: a link goes to it, and the email changes only when it is opened; the current address is told (needs a fresh code).'
		})
		.input(z.strictObject({ email: emailSchema }))
		.mutation(({ ctx, input }) =>
			requestEmailChange(ctx.deps, actorOf(ctx), ctx.user.id, input.email, linkOriginOf(ctx))
		),

	// Cancelling only takes a pending change away: a person's session, no fresh code.
	cancelEmailChange: humanProcedure
		.meta({
			description:
				'Cancels your pending email change (its link stops working); `cancelled` is false when none was pending.'
		})
		.input(noInputSchema)
		.mutation(({ ctx }) => cancelEmailChange(ctx.deps, actorOf(ctx), ctx.user.id))
});
