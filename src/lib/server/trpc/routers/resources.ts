// The API of every registered resource, derived from its definition: `resources.<name>.list |
// get | history | references | options | exportPage` (queries) and `create | update | delete |
// bulk | action` (mutations). All on the verified tier (people, and API tokens whose scopes name
// the permission: `.meta({ scope })`); each procedure checks its permission string against the
// role's grants (permissions.ts) and a token's scopes and, where the definition lists the
// operation under `stepUp`, a fresh code.
import { z } from 'zod';
import { runAction } from '../../resources/actions';
import type { AnyResource, Fields, ListQuery, Resource, ResourceRow } from '../../resources/define';
import { ID_PATTERN } from '../../resources/schemas';
import { listHistory, referenceOptions } from '../../resources/history';
import { exportRows, listRows } from '../../resources/list';
import { resources } from '../../resources/registry';
import { deleteRow, rowReferences } from '../../resources/delete';
import { getRow } from '../../resources/reading';
import { createRow, updateRow } from '../../resources/write';
import { actorOf } from '../actor';
import { router, verifiedProcedure } from '../init';
import { allow, needs } from '../resource-permissions';
import { may } from '../scopes';

const idSchema = z.string().regex(ID_PATTERN, { error: 'Not a valid id' });

/** Rows per `exportPage` call. */
export const EXPORT_PAGE = 1000;

export function resourceRouter<
	F extends Fields,
	A extends string,
	Filter extends string,
	Sort extends string
>(definition: Resource<F, A, Filter, Sort>) {
	const resource = definition as unknown as AnyResource;
	const schemas = definition.schemas;
	const one = resource.labelOne;
	const referenceFields = Object.entries(resource.fields)
		.filter(([, field]) => field.kind === 'reference')
		.map(([key]) => key);
	type Row = ResourceRow<F>;
	return router({
		list: verifiedProcedure
			.meta({
				description: `${resource.label}: search, filters, sort and pages, with the total.`,
				permission: needs(resource, 'read'),
				scope: resource.permission('read')
			})
			.input(schemas.list)
			.query(async ({ ctx, input }) => {
				allow(ctx, resource, 'read');
				const page = await listRows(ctx.deps, resource, resources, input);
				return {
					rows: page.rows as unknown as Row[],
					total: page.total,
					page: input.page,
					pageSize: input.pageSize
				};
			}),

		get: verifiedProcedure
			.meta({
				description: `One ${one}, with its version (what update and delete take).`,
				permission: needs(resource, 'read'),
				scope: resource.permission('read')
			})
			.input(z.strictObject({ id: idSchema }))
			.query(async ({ ctx, input }) => {
				allow(ctx, resource, 'read');
				return (await getRow(ctx.deps, resource, resources, input.id)) as unknown as Row;
			}),

		history: verifiedProcedure
			.meta({
				description: `A ${one}'s changes from the audit trail, newest first.`,
				permission: needs(resource, 'read'),
				scope: resource.permission('read')
			})
			.input(
				z.strictObject({ id: idSchema, page: z.number().int().min(1).max(100_000).default(1) })
			)
			.query(({ ctx, input }) => {
				allow(ctx, resource, 'read');
				return listHistory(ctx.deps, resource, input.id, input.page);
			}),

		references: verifiedProcedure
			.meta({
				description: `Rows of other resources that refer to a ${one} (what deleting it affects).`,
				permission: needs(resource, 'read'),
				scope: resource.permission('read')
			})
			.input(z.strictObject({ id: idSchema }))
			.query(({ ctx, input }) => {
				allow(ctx, resource, 'read');
				return rowReferences(ctx.deps.db, resource, resources, input.id);
			}),

		options: verifiedProcedure
			.meta({
				description: `Up to 20 choices for a reference field of a ${one}, by search.`,
				permission: `${needs(resource, 'create', '')} or ${needs(resource, 'update', '')}`,
				scope: [resource.permission('create'), resource.permission('update')]
			})
			.input(
				z.strictObject({
					field: referenceFields.length
						? z.enum(referenceFields as [string, ...string[]], {
								error: `One of: ${referenceFields.join(', ')}`
							})
						: z.never(),
					search: z.string().trim().max(100).default('')
				})
			)
			.query(({ ctx, input }) => {
				if (!may(ctx, resource.permission('create'))) allow(ctx, resource, 'update', '');
				return referenceOptions(ctx.deps, resource, resources, input.field, input.search);
			}),

		exportPage: verifiedProcedure
			.meta({
				description: `${EXPORT_PAGE} ${resource.label.toLowerCase()} at a time in list order, from \`offset\` (for exports); \`next\` is null at the end.`,
				permission: needs(resource, 'read'),
				scope: resource.permission('read')
			})
			.input(
				z.strictObject({
					query: schemas.list,
					offset: z.number().int().min(0).max(10_000_000).default(0)
				})
			)
			.query(async ({ ctx, input }) => {
				allow(ctx, resource, 'read');
				const query: ListQuery = input.query;
				const rows = [];
				for await (const batch of exportRows(
					ctx.deps,
					resource,
					resources,
					query,
					EXPORT_PAGE,
					input.offset
				)) {
					rows.push(...batch);
					break;
				}
				const next = rows.length === EXPORT_PAGE ? input.offset + EXPORT_PAGE : null;
				return { rows: rows as unknown as Row[], next };
			}),

		create: verifiedProcedure
			.meta({
				description: `Creates a ${one}; answers the new row.`,
				permission: needs(resource, 'create'),
				scope: resource.permission('create')
			})
			.input(schemas.create)
			.mutation(async ({ ctx, input }) => {
				allow(ctx, resource, 'create');
				return (await createRow(
					ctx.deps,
					resource,
					resources,
					actorOf(ctx),
					input
				)) as unknown as Row;
			}),

		update: verifiedProcedure
			.meta({
				description: `Changes a ${one} read at \`version\`; CONFLICT with the current row if it changed since.`,
				permission: needs(resource, 'update'),
				scope: resource.permission('update')
			})
			.input(schemas.update)
			.mutation(async ({ ctx, input }) => {
				allow(ctx, resource, 'update');
				return (await updateRow(
					ctx.deps,
					resource,
					resources,
					actorOf(ctx),
					input,
					input.values
				)) as unknown as Row;
			}),

		delete: verifiedProcedure
			.meta({
				description: `Deletes a ${one} read at \`version\`; CONFLICT if it changed or other rows need it.`,
				permission: needs(resource, 'delete'),
				scope: resource.permission('delete')
			})
			.input(schemas.row)
			.mutation(async ({ ctx, input }) => {
				allow(ctx, resource, 'delete');
				await deleteRow(ctx.deps, resource, resources, actorOf(ctx), input);
				return { ok: true as const };
			}),

		bulk: verifiedProcedure
			.meta({
				description: `Deletes or runs a bulk action on up to 100 ${resource.label.toLowerCase()}, all or none.`,
				permission: [
					`${needs(resource, 'delete')} for \`delete\``,
					...Object.entries(resource.actions)
						.filter(([, action]) => action.bulk)
						.map(([name]) => `${needs(resource, `action.${name}`, name)} for \`${name}\``)
				].join('; '),
				scope: [
					resource.permission('delete'),
					...Object.entries(resource.actions)
						.filter(([, action]) => action.bulk)
						.map(([name]) => resource.permission(`action.${name}`))
				]
			})
			.input(schemas.bulk)
			.mutation(({ ctx, input }) => {
				allow(
					ctx,
					resource,
					input.action === 'delete' ? 'delete' : `action.${input.action}`,
					input.action
				);
				return runAction(ctx.deps, resource, resources, actorOf(ctx), input.action, input.rows);
			}),

		action: verifiedProcedure
			.meta({
				description: `Runs one of a ${one}'s actions on it.`,
				permission:
					Object.keys(resource.actions)
						.map((name) => `${needs(resource, `action.${name}`, name)} for \`${name}\``)
						.join('; ') || 'none: the resource has no actions',
				scope: Object.keys(resource.actions).map((name) => resource.permission(`action.${name}`))
			})
			.input(schemas.action)
			.mutation(({ ctx, input }) => {
				allow(ctx, resource, `action.${input.action}`, input.action);
				return runAction(ctx.deps, resource, resources, actorOf(ctx), input.action, [input]);
			})
	});
}

type RouterOf<R> =
	R extends Resource<infer F, infer A, infer Filter, infer Sort>
		? ReturnType<typeof resourceRouter<F, A, Filter, Sort>>
		: never;

function routers<R extends Record<string, AnyResource>>(
	all: R
): { [K in keyof R]: RouterOf<R[K]> } {
	return Object.fromEntries(
		Object.entries(all).map(([name, resource]) => [name, resourceRouter(resource)])
	) as { [K in keyof R]: RouterOf<R[K]> };
}

export const resourcesRouter = router(routers(resources));
