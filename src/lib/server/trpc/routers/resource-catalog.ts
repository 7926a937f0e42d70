// `resourceCatalog` and the shapes of the resource procedures' answers, for code that works on any
// resource (the generic pages reach the procedures by name through the caller and may not import
// resources/, so they take these types from here).
import { noInputSchema } from '../../../schemas/no-input';
import type { AnyResource } from '../../resources/define';
import { describeResource } from '../../resources/describe';
import { resources } from '../../resources/registry';
import { verifiedProcedure } from '../init';
import { may } from '../scopes';

/**
 * `resourceCatalog`: every resource the caller may read (the role's grants; an API token's scopes
 * within them), described for drawing it (pages, the nav, generic tools). Outside `resources.*` so
 * no resource name can collide with it. Any token may call it: it reveals only what the token may
 * read anyway, and tools start here.
 */
export const resourceCatalogProcedure = verifiedProcedure
	.meta({
		description:
			'The resources you may read: fields, list settings, actions and what your role may do.',
		permission:
			'no permission of its own (any API token may call it); it lists the resources whose `<name>.read` the caller holds',
		scope: null
	})
	.input(noInputSchema)
	.query(({ ctx }) =>
		Object.values(resources as Record<string, AnyResource>)
			.filter((resource) => may(ctx, resource.permission('read')))
			.map((resource) => describeResource(resource, (permission) => may(ctx, permission)))
	);

export type { ResourceDescription, FieldDescription } from '../../resources/describe';
export type { HistoryEntry } from '../../resources/history';
export type { ReferenceValue } from '../../resources/fields';
export type { RowReference } from '../../resources/delete';
