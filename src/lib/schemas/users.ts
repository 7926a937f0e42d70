// Inputs of the user-management procedures and forms.
import { z } from 'zod';
import { AUDIT_EVENTS } from '../audit-events';
import { ROLES } from '../permissions';
import { BACKUP_TOKEN_RULES, PASSWORD_RULES } from '../policy-rules';
import { emailSchema, newPasswordSchema, usernameSchema } from './auth';

export const idSchema = z.string().regex(/^[a-z2-7]{1,32}$/, { error: 'Not a valid id' });
export const roleSchema = z.enum(ROLES, { error: `One of: ${ROLES.join(', ')}` });

/** URL-friendly: absent means "any"; flags arrive as 'true' / 'false' from query strings. */
const flag = z
	.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')])
	.optional();

/** The page of a paged list, from 1; a query string's '2' is accepted as 2. */
export const pageSchema = z.coerce.number().int().min(1).max(100_000).default(1);

/** Rows per page: a few fixed choices, so no request can ask for the whole table at once. */
export const pageSizeSchema = z.coerce
	.number()
	.int()
	.refine((n) => [10, 25, 50, 100].includes(n), { error: '10, 25, 50 or 100' })
	.default(25);

export const userListSchema = z.strictObject({
	search: z.string().trim().max(100).optional(),
	role: roleSchema.optional(),
	active: flag,
	locked: flag,
	emailConfirmed: flag,
	sort: z.enum(['username', 'email', 'created', 'role']).default('username'),
	direction: z.enum(['asc', 'desc']).default('asc'),
	page: pageSchema,
	pageSize: pageSizeSchema
});

/** Live sessions, everyone's or one user's, paged like the users list. */
export const sessionListSchema = z.strictObject({
	userId: idSchema.optional(),
	page: pageSchema,
	pageSize: pageSizeSchema
});

/** Your own live sessions, paged the same way. */
export const ownSessionListSchema = sessionListSchema.omit({ userId: true });

/** An account whose owner chooses their own password through a mailed link. */
export const inviteUserSchema = z.strictObject({
	username: usernameSchema,
	email: emailSchema,
	role: roleSchema.default('member')
});

/** With a password: the account is ready at once. Without one: an invitation (as users.invite). */
export const createUserSchema = inviteUserSchema.extend({
	password: newPasswordSchema.optional()
});

/** The invitation link's token, as the accept page passes it on: 43 base64url characters. */
export const invitationTokenSchema = z.string().min(1).max(128);

export const acceptInvitationSchema = z.strictObject({
	token: invitationTokenSchema,
	password: newPasswordSchema
});

/** The second factors an admin's reset can remove (email and backup tokens have their own). */
export const RESETTABLE_FACTORS = ['totp', 'webauthn'] as const;
export type ResettableFactor = (typeof RESETTABLE_FACTORS)[number];

/** Which factors to reset: absent means all of them; each named at most once. */
export const resetFactorsSchema = z.strictObject({
	id: idSchema,
	kinds: z
		.array(z.enum(RESETTABLE_FACTORS, { error: `One of: ${RESETTABLE_FACTORS.join(', ')}` }))
		.min(1)
		.max(RESETTABLE_FACTORS.length)
		.refine((kinds) => new Set(kinds).size === kinds.length, { error: 'Each kind once' })
		.optional()
});

export const profileSchema = z.strictObject({
	id: idSchema,
	username: usernameSchema,
	email: emailSchema.nullable()
});

export const changePasswordSchema = z.strictObject({
	current: z.string().min(1, { error: 'Required' }).max(PASSWORD_RULES.maxLength),
	next: newPasswordSchema,
	/** Your API tokens stop working too, unless you choose to keep them. */
	revokeApiTokens: z.boolean().default(true)
});

export const backupTokenCountSchema = z.coerce
	.number()
	.int()
	.min(1)
	.max(BACKUP_TOKEN_RULES.maxCount)
	.default(BACKUP_TOKEN_RULES.defaultCount);

export const auditListSchema = z.strictObject({
	event: z.enum(AUDIT_EVENTS, { error: 'Unknown event' }).optional(),
	userId: idSchema.optional(),
	/** A resource's name (`featureFlags`): rows about its rows. The procedure checks it exists. */
	resource: z
		.string()
		.regex(/^[a-z][a-zA-Z0-9]{0,47}$/, { error: 'Unknown resource' })
		.optional(),
	from: z.coerce.date().optional(),
	to: z.coerce.date().optional(),
	page: z.coerce.number().int().min(1).max(100_000).default(1),
	pageSize: z.coerce.number().int().min(10).max(100).default(50)
});
