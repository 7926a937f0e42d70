import { z } from 'zod';
import { checkEmailLink, confirmEmailChange, reportEmailChange } from '../../services/email-change';
import { openerOf } from '../actor';
import { publicProcedure, router } from '../init';

// The links of an email change, as mailed. Anyone holding one may use it (that is what it proves);
// someone signed in as another account is refused, and so is an API token. A malformed token is
// the same "not valid" answer as a dead one, not a validation error.
const linkSchema = z.strictObject({ token: z.string().min(1).max(128) });

export const emailChangeRouter = router({
	check: publicProcedure
		.meta({
			description:
				'The new address and expiry of a live email-change link, for its confirmation page (spends nothing).'
		})
		.input(linkSchema)
		.query(({ ctx, input }) => checkEmailLink(ctx.deps, openerOf(ctx), input.token)),

	confirm: publicProcedure
		.meta({
			description:
				'Spends an email-change link and makes its address the account email (refused when another account has taken it since).'
		})
		.input(linkSchema)
		.mutation(({ ctx, input }) => confirmEmailChange(ctx.deps, openerOf(ctx), input.token)),

	report: publicProcedure
		.meta({
			description:
				'Spends a "this wasn\'t me" link: cancels the pending email change, ends the account\'s sessions and remembered devices, and records it for the administrators.'
		})
		.input(linkSchema)
		.mutation(({ ctx, input }) => reportEmailChange(ctx.deps, openerOf(ctx), input.token))
});
