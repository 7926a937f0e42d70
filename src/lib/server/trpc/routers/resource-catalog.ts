// `resourceCatalog` and the shapes of the resource procedures' answers, for code that works on any
// resource (the generic pages reach the procedures by name through the caller and may not import
// resources/, so they take these types from here).
import { roleCan } from '../../../permissions';
import { noInputSchema } from '../../../schemas/no-input';
import type { AnyResource } from '../../resources/define';
import { describeResource } from '../../resources/describe';
import { resources } from '../../resources/registry';
import { verifiedProcedure } from '../init';

/**
 * `resourceCatalog`: every resource the caller's role may read, described for drawing it (pages,
 * the nav, generic tools). Outside `resources.*` so no resource name can collide with it.
 */
export const resourceCatalogProcedure = verifiedProcedure
	.meta({
		description:
			'The resources you may read: fields, list settings, actions and what your role may do.',
		permission:
			'no permission of its own; it lists the resources whose `<name>.read` the role holds'
	})
	.input(noInputSchema)
	.query(({ ctx }) =>
		Object.values(resources as Record<string, AnyResource>)
			.filter((resource) => roleCan(ctx.user.role, resource.permission('read')))
			.map((resource) => describeResource(resource, ctx.user.role))
	);

export type { ResourceDescription, FieldDescription } from '../../resources/describe';
export type { HistoryEntry } from '../../resources/history';
export type { ReferenceValue } from '../../resources/fields';
export type { RowReference } from '../../resources/delete';
