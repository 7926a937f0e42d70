// Shared by forms (server actions) and tRPC procedures: one definition of valid input.
import { z } from 'zod';
import { PASSWORD_RULES } from '../policy-rules';

// Limits are checked before anything expensive runs (argon2, the database).
const { minLength, maxLength } = PASSWORD_RULES;

/** A new password of PASSWORD_RULES' length, kept exactly as typed (Unicode included). */
export const newPasswordSchema = z
	.string()
	.min(minLength, { error: `At least ${minLength} characters` })
	.max(maxLength, { error: `At most ${maxLength} characters` });

/**
 * How usernames and emails compare, wherever they are typed: trimmed, lower-cased, and in Unicode
 * NFC, so a composed and a decomposed spelling are one name. Stored names went through it too, and
 * the database compares bytes (SQLite always; MySQL's columns use a binary collation), so a name
 * matches only itself: case-insensitive by construction, never accent-insensitive.
 */
export function normalizeName(value: string): string {
	return value.trim().toLowerCase().normalize('NFC');
}

/**
 * Lower-case ASCII letters, digits, `.`, `_` and `-`; stored lower-cased so it is unique anywhere.
 * ASCII only, so no two usernames differ only by an accent or a Cyrillic or Greek look-alike.
 */
export const usernameSchema = z
	.string()
	.overwrite(normalizeName)
	.regex(/^[a-z0-9](?:[a-z0-9._-]{1,62}[a-z0-9])$/, {
		error: '3 to 64 characters: letters, digits, dot, underscore or dash'
	});

/** One plain ASCII address (no display name, no second recipient, no line breaks), lower-cased. */
export const emailSchema = z
	.string()
	.overwrite(normalizeName)
	.max(254, { error: 'At most 254 characters' })
	.pipe(
		z
			.email({ error: 'A valid email address' })
			// RFC 5321's limit; the mailer refuses longer local parts, so they must not be stored.
			.refine((value) => value.indexOf('@') <= 64, { error: 'At most 64 characters before the @' })
	);

export const loginSchema = z.strictObject({
	/** Username or email; not format-checked, so unknown and malformed names behave alike. */
	username: z.string().overwrite(normalizeName).min(1, { error: 'Required' }).max(254),
	password: z.string().min(1, { error: 'Required' }).max(PASSWORD_RULES.maxLength),
	tokenType: z.enum(['cookie', 'bearer']).default('cookie')
});

/**
 * An emailed code (digits) or a backup token (xxxx-xxxx-xxxx-xxxx, spaces allowed): ASCII only.
 * Anything else (full-width digits, quotes) can never match, so it is refused as input rather
 * than spending one of the code's attempts.
 */
export const codeSchema = z
	.string()
	.trim()
	.min(1, { error: 'Required' })
	.max(32, { error: 'At most 32 characters' })
	.regex(/^[0-9A-Za-z -]+$/, { error: 'Digits, or a backup token' });

/** Ways to finish a sign-in or step-up with a typed code (WebAuthn signs a challenge instead). */
export const CODE_METHODS = ['email', 'totp', 'backup_token'] as const;

/**
 * A code and what it is. Without `method`, digits are an emailed code and anything else a backup
 * token, as before authenticator apps: an authenticator's code says `method: 'totp'`.
 */
export const codeWithMethod = {
	code: codeSchema,
	method: z.enum(CODE_METHODS, { error: `One of: ${CODE_METHODS.join(', ')}` }).optional()
};

/**
 * A backup token as stored: 16 letters a-z and digits 2-7, however it was typed (any case,
 * `xxxx-xxxx-xxxx-xxxx`, spaces around or between), or null when it cannot be one.
 */
export function normalizeBackupToken(input: string): string | null {
	const compact = input.trim().toLowerCase().replace(/[\s-]/g, '');
	return /^[a-z2-7]{16}$/.test(compact) ? compact : null;
}

/** Per method: what is wrong with the code's shape, or null. `digits`: the code is all digits. */
const CODE_SHAPES: Record<
	(typeof CODE_METHODS)[number],
	(code: string, digits: boolean) => string | null
> = {
	email: (_code, digits) => (digits ? null : 'An emailed code is digits'),
	totp: (code) =>
		totpCodeSchema.safeParse(code).success ? null : 'The 6 digits your authenticator app shows',
	backup_token: (code) =>
		normalizeBackupToken(code) ? null : 'A backup token: xxxx-xxxx-xxxx-xxxx'
};

/**
 * A code that its method can never accept is bad input, refused before it spends a try (a wrong
 * try counts on the account and the session, and the session's last ends it): an emailed code is
 * digits, an app's code 6 of them, a backup token 16 letters and digits 2-7 (`xxxx-xxxx-xxxx-xxxx`).
 */
export function checkCodeShape(
	{ code, method }: { code: string; method?: (typeof CODE_METHODS)[number] },
	context: z.RefinementCtx
): void {
	const digits = /^\d+$/.test(code);
	// Only the check of the method the code is for.
	const problem = CODE_SHAPES[method ?? (digits ? 'email' : 'backup_token')](code, digits);
	if (problem) context.addIssue({ code: 'custom', path: ['code'], message: problem });
}

export const verifySchema = z.strictObject(codeWithMethod).superRefine(checkCodeShape);

/** A code from an authenticator app: six digits, spaces and dashes as typed are dropped. */
export const totpCodeSchema = z
	.string()
	.max(32, { error: 'At most 32 characters' })
	.transform((value) => value.replace(/[\s-]/g, ''))
	.pipe(z.string().regex(/^\d{6}$/, { error: 'The 6 digits your authenticator app shows' }));

/**
 * The sign-in's second step: the code, and whether to remember this browser ("Don't ask again on
 * this device"; browsers only: a bearer sign-in gets no device cookie). Step-up takes `verifySchema`.
 */
export const verifySignInSchema = z
	.strictObject({ ...codeWithMethod, rememberDevice: z.boolean().optional() })
	.superRefine(checkCodeShape);

export const setupSchema = z.strictObject({
	token: z.string().min(1).max(128),
	username: usernameSchema,
	email: emailSchema,
	password: newPasswordSchema
});
