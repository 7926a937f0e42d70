import { z } from 'zod';
import { noInputSchema } from '../../../schemas/no-input';
import { changePasswordSchema, idSchema, ownSessionListSchema } from '../../../schemas/users';
import { changeOwnPassword, listOwnSessions } from '../../services/account';
import {
	forgetAllOwnDevices,
	forgetOwnDevice,
	listOwnDevices
} from '../../services/remembered-devices';
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
		})
});
