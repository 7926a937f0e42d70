// Security keys (WebAuthn): the browser's answers as @simplewebauthn/browser sends them, and key
// names. Everything binary is base64url; sizes are bounded well above what real authenticators
// send (a credential id is at most 1023 bytes), so nothing oversized reaches the verifier.
import { z } from 'zod';
import { idSchema } from './users';

const base64url = (maxChars: number) =>
	z
		.string()
		.min(1, { error: 'Required' })
		.max(maxChars, { error: `At most ${maxChars} characters` })
		.regex(/^[A-Za-z0-9_-]+$/, { error: 'Expected base64url' });

/** 1023 bytes of credential id, in base64url. */
const credentialIdSchema = base64url(1364);

const common = {
	id: credentialIdSchema,
	rawId: credentialIdSchema,
	type: z.literal('public-key'),
	authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
	// Extension outputs are not used here; bounded, and never read.
	clientExtensionResults: z
		.record(z.string().max(64), z.unknown())
		.refine((value) => Object.keys(value).length <= 16, { error: 'Too many extension results' })
};

/** `startAuthentication()`'s answer: an assertion. */
export const authenticationResponseSchema = z.strictObject({
	...common,
	response: z.strictObject({
		clientDataJSON: base64url(4096),
		authenticatorData: base64url(4096),
		// ML-DSA (post-quantum) signatures run to 4.6 kB: ML-DSA-87's, in base64url, fits.
		signature: base64url(8192),
		userHandle: base64url(128).optional()
	})
});

/** `startRegistration()`'s answer: an attestation. */
export const registrationResponseSchema = z.strictObject({
	...common,
	response: z.strictObject({
		clientDataJSON: base64url(4096),
		attestationObject: base64url(32_768),
		authenticatorData: base64url(8192).optional(),
		transports: z
			.array(
				z
					.string()
					.max(16)
					.regex(/^[a-z-]+$/)
			)
			.max(8)
			.optional(),
		publicKeyAlgorithm: z.number().int().optional(),
		publicKey: base64url(8192).optional()
	})
});

/** What the owner calls a key; one line of printable text. */
export const securityKeyNameSchema = z
	.string()
	.trim()
	// eslint-disable-next-line no-control-regex
	.regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, { error: 'One line of text' })
	.min(1, { error: 'Required' })
	.max(64, { error: 'At most 64 characters' });

export const verifySecurityKeySchema = z.strictObject({ response: authenticationResponseSchema });

/** Sign-in with a key, and optionally "Don't ask again on this device" (browsers only). */
export const signInSecurityKeySchema = verifySecurityKeySchema.extend({
	rememberDevice: z.boolean().optional()
});

export const registerSecurityKeySchema = z.strictObject({
	name: securityKeyNameSchema,
	response: registrationResponseSchema
});

export const renameSecurityKeySchema = z.strictObject({
	id: idSchema,
	name: securityKeyNameSchema
});

export const securityKeyIdSchema = z.strictObject({ id: idSchema });
