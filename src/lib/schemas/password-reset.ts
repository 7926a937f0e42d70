// "Forgot password": the request for a link, and what the link's page sends. Shared by the pages'
// forms and the procedures.
import { z } from 'zod';
import { checkCodeShape, codeWithMethod, newPasswordSchema, normalizeName } from './auth';
import { authenticationResponseSchema } from './webauthn';

/** A username or an email; not format-checked, so unknown and malformed names behave alike. */
export const forgotPasswordSchema = z.strictObject({
	login: z.string().overwrite(normalizeName).min(1, { error: 'Required' }).max(254)
});

/**
 * The token of a mailed link: 43 base64url characters (auth/account-links.ts). Anything else is a
 * link that can never work, refused as input.
 */
export const resetTokenSchema = z
	.string()
	.regex(/^[A-Za-z0-9_-]{43}$/, { error: 'This is not a password reset link' });

export const resetLinkSchema = z.strictObject({ token: resetTokenSchema });

/** The new password with a code: from the authenticator app, a backup token, or an emailed one. */
export const completeResetSchema = z
	.strictObject({
		token: resetTokenSchema,
		password: newPasswordSchema,
		...codeWithMethod
	})
	.superRefine(checkCodeShape);

/** The new password with a security key's answer to `auth.passwordReset.securityKeyOptions`. */
export const completeResetWithKeySchema = z.strictObject({
	token: resetTokenSchema,
	password: newPasswordSchema,
	response: authenticationResponseSchema
});
