// Inputs of the API token procedures and forms.
import { z } from 'zod';
import { idSchema } from './users';

export const API_TOKEN_MAX_DAYS = 365;

/** A permission string (`featureFlags.update`, `users.read`) or `read` / `write`. */
export const API_TOKEN_SCOPE_PATTERN =
	/^(read|write|[a-z][a-zA-Z0-9]{0,47}\.(read|create|update|delete|action\.[a-z][a-zA-Z0-9]{0,47}))$/;

/**
 * What a token may reach: permission strings (each one its owner's role holds; the server checks
 * they exist), or the shorthands `read` (every `*.read` permission the owner holds) and `write`
 * (everything the owner may do). The first tokens sent `["read"]` or `["read", "write"]`: both
 * still mean what they meant.
 */
export const apiTokenScopesSchema = z
	.array(
		z.string().regex(API_TOKEN_SCOPE_PATTERN, {
			error: 'A permission such as featureFlags.read, or read or write'
		}),
		{ error: 'A list of permissions' }
	)
	.min(1, { error: 'Choose at least one permission' })
	.max(200, { error: 'At most 200 permissions' });

export const createApiTokenSchema = z.strictObject({
	name: z
		.string()
		.trim()
		.min(1, { error: 'Required' })
		.max(100, { error: 'At most 100 characters' }),
	scopes: apiTokenScopesSchema,
	/** Days until it stops working; null: never. */
	expiresInDays: z
		.number()
		.int()
		.min(1, { error: 'At least 1 day' })
		.max(API_TOKEN_MAX_DAYS, { error: `At most ${API_TOKEN_MAX_DAYS} days` })
		.nullable()
});

export const apiTokenIdSchema = z.strictObject({ id: idSchema });
