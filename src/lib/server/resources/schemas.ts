// The strict input schemas of a resource's procedures, derived from its definition: unknown
// keys are refused (never dropped), sorts and filters only as declared, page sizes from a short
// list, ids and versions checked. The types they produce come from types.ts.
import { z } from 'zod';
import type { Field } from './fields';
import type { AnyResource, Fields, Resource, ResourceSchemas } from './types';

const PAGE_SIZES = [10, 25, 50, 100] as const;
export const ID_PATTERN = /^[a-z2-7]{1,32}$/;
const idSchema = z.string().regex(ID_PATTERN, { error: 'Not a valid id' });
const versionSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** One value of a field in an input: its schema, null where the field is optional. */
function valueSchema(field: Field): z.ZodType {
	return field.optional ? field.input.nullable() : field.input;
}

const flag = z.union([
	z.boolean(),
	z.enum(['true', 'false']).transform((value) => value === 'true')
]);

export function buildSchemas<
	F extends Fields,
	A extends string,
	Filter extends string,
	Sort extends string
>(resource: Resource<F, A, Filter, Sort>): ResourceSchemas<F, A, Filter, Sort> {
	const writable = Object.entries(resource.fields).filter(([, field]) => !field.readOnly);
	const createShape: Record<string, z.ZodType> = {};
	const updateShape: Record<string, z.ZodType> = {};
	for (const [key, field] of writable) {
		const value = valueSchema(field);
		const leftOut = field.optional ? null : field.default;
		createShape[key] = leftOut === undefined ? value : value.optional().default(leftOut);
		updateShape[key] = value.optional();
	}
	const filterShape: Record<string, z.ZodType> = {};
	for (const key of resource.list.filters) {
		const field = (resource as AnyResource).fields[key];
		if (!field) continue;
		filterShape[key] = (field.kind === 'boolean' ? flag : field.input).optional();
	}
	const sorts = resource.list.sort.flatMap((key) => [key, `-${key}`]);
	const rowSchema = z.strictObject({ id: idSchema, version: versionSchema });
	const actionNames = Object.keys(resource.actions);
	const bulkNames = ['delete', ...actionNames.filter((name) => resource.actions[name as A].bulk)];
	return {
		list: z.strictObject({
			search: z.string().trim().max(100, { error: 'At most 100 characters' }).optional(),
			filter: z.strictObject(filterShape).default({}),
			// No sortable columns: rows come in id order and `sort` can only be left out.
			sort: sorts.length
				? z
						.enum(sorts as [string, ...string[]], { error: `One of: ${sorts.join(', ')}` })
						.default(resource.list.defaultSort)
				: z.literal('').default(''),
			page: z.coerce.number().int().min(1).max(100_000).default(1),
			pageSize: z.coerce
				.number()
				.int()
				.refine((n) => (PAGE_SIZES as readonly number[]).includes(n), {
					error: '10, 25, 50 or 100'
				})
				.default(resource.list.pageSize)
		}) as never,
		create: z.strictObject(createShape) as never,
		update: z.strictObject({
			id: idSchema,
			version: versionSchema,
			values: z.strictObject(updateShape)
		}) as never,
		row: rowSchema as never,
		bulk: z.strictObject({
			action: z.enum(bulkNames as [string, ...string[]], {
				error: `One of: ${bulkNames.join(', ')}`
			}),
			rows: z
				.array(rowSchema)
				.min(1, { error: 'Select at least one row' })
				.max(100, { error: 'At most 100 rows at once' })
		}) as never,
		action: (actionNames.length
			? z.strictObject({
					action: z.enum(actionNames as [string, ...string[]], {
						error: `One of: ${actionNames.join(', ')}`
					}),
					id: idSchema,
					version: versionSchema
				})
			: z.never()) as never
	};
}
