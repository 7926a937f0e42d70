// Inputs of the API token procedures and forms.
import { z } from 'zod';
import { idSchema } from './users';

export const API_TOKEN_MAX_DAYS = 365;

/** `read` runs queries only; `read` + `write` may also call mutations. */
export const apiTokenScopesSchema = z.union([
	z.tuple([z.literal('read')]),
	z.tuple([z.literal('read'), z.literal('write')])
]);

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
