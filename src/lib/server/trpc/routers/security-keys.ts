import { noInputSchema } from '../../../schemas/no-input';
import {
	registerSecurityKeySchema,
	renameSecurityKeySchema,
	securityKeyIdSchema
} from '../../../schemas/webauthn';
import {
	listSecurityKeys,
	registerSecurityKey,
	removeSecurityKey,
	renameSecurityKey,
	securityKeyRegistrationOptions
} from '../../services/security-keys';
import { actorOf, relyingPartyOf } from '../actor';
import { router, stepUpProcedure, verifiedProcedure } from '../init';

// Your own security keys and passkeys. Every change is a step-up one (a stolen session must not
// add itself a key, nor remove the owner's), and no API token may make it: the step-up tier
// admits a person's verified session only. A session that must first set up a factor its role
// requires (FACTOR_POLICY) may list its keys and add one: `enrolment: true`.
export const securityKeysRouter = router({
	listMine: verifiedProcedure
		.meta({
			description: 'Your security keys and passkeys (names, flags, dates; no key material).',
			scope: 'account.read',
			enrolment: true
		})
		.input(noInputSchema)
		.query(async ({ ctx }) => ({ keys: await listSecurityKeys(ctx.deps, ctx.user.id) })),

	registrationOptions: stepUpProcedure
		.meta({
			description:
				'Options for navigator.credentials.create() to add a security key (needs a fresh code; ORIGIN names the site).',
			enrolment: true
		})
		.input(noInputSchema)
		.mutation(async ({ ctx }) => {
			const rp = relyingPartyOf(ctx);
			return securityKeyRegistrationOptions(ctx.deps, rp, ctx.user, ctx.sessionToken);
		}),

	register: stepUpProcedure
		.meta({
			description:
				"Adds a security key from the browser's answer to registrationOptions, under a name of your choice (needs a fresh code).",
			enrolment: true
		})
		.input(registerSecurityKeySchema)
		.mutation(async ({ ctx, input }) => {
			const rp = relyingPartyOf(ctx);
			const key = await registerSecurityKey(
				ctx.deps,
				actorOf(ctx),
				rp,
				ctx.user,
				ctx.sessionToken,
				input.name,
				input.response
			);
			return { key };
		}),

	rename: stepUpProcedure
		.meta({ description: 'Renames one of your security keys (needs a fresh code).' })
		.input(renameSecurityKeySchema)
		.mutation(async ({ ctx, input }) => {
			await renameSecurityKey(ctx.deps, actorOf(ctx), ctx.user.id, input.id, input.name);
			return { ok: true as const };
		}),

	remove: stepUpProcedure
		.meta({
			description: 'Removes one of your security keys: it no longer signs in (needs a fresh code).'
		})
		.input(securityKeyIdSchema)
		.mutation(async ({ ctx, input }) => {
			await removeSecurityKey(ctx.deps, actorOf(ctx), ctx.user.id, input.id);
			return { ok: true as const };
		})
});
