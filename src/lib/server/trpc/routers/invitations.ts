import { z } from 'zod';
import { acceptInvitationSchema, invitationTokenSchema } from '../../../schemas/users';
import { acceptInvitation, findInvitation } from '../../services/invitations';
import { originOf } from '../actor';
import { publicProcedure, router } from '../init';

// The invitee's side: anyone holding a live link. The link is the only credential; a caller
// without one learns nothing and makes the server hash nothing.
export const invitationsRouter = router({
	status: publicProcedure
		.meta({
			description:
				"Whether an invitation link is live, and if so the invited username and the link's end."
		})
		.input(z.strictObject({ token: invitationTokenSchema }))
		.query(async ({ ctx, input }) => {
			const invitation = await findInvitation(ctx.deps, input.token);
			return invitation ? { valid: true as const, ...invitation } : { valid: false as const };
		}),

	accept: publicProcedure
		.meta({
			description:
				'Sets the password of an invited account with its link (single use) and confirms its address; then sign in as usual.'
		})
		.input(acceptInvitationSchema)
		.mutation(async ({ ctx, input }) => {
			const { username } = await acceptInvitation(ctx.deps, input, originOf(ctx));
			return { ok: true as const, username };
		})
});
