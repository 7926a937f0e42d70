// `resourceCatalog` and the shapes of the resource procedures' answers, for code that works on any
// resource (the generic pages reach the procedures by name through the caller and may not import
// resources/, so they take these types from here).
import { roleCan } from '../../../permissions';
import { noInputSchema } from '../../../schemas/no-input';
import type { AnyResource } from '../../resources/define';
import { describeResource, type ResourceDescription } from '../../resources/describe';
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
	.query(({ ctx }) => catalogFor(ctx.user.role));

// The registry and the roles' grants are fixed when the server starts, and every page of the app
// asks for the catalog (the nav lists it): each role's is described once, then shared. Shared
// between requests, so frozen: a caller that changed it would change it for everyone.
const catalogs = new Map<string, readonly ResourceDescription[]>();

function catalogFor(role: string): readonly ResourceDescription[] {
	let catalog = catalogs.get(role);
	if (!catalog) {
		catalog = deepFreeze(
			Object.values(resources as Record<string, AnyResource>)
				.filter((resource) => roleCan(role, resource.permission('read')))
				.map((resource) => describeResource(resource, role))
		);
		catalogs.set(role, catalog);
	}
	return catalog;
}

function deepFreeze<T>(value: T): T {
	if (value && typeof value === 'object' && !Object.isFrozen(value)) {
		Object.freeze(value);
		for (const child of Object.values(value)) deepFreeze(child);
	}
	return value;
}

export type { ResourceDescription, FieldDescription } from '../../resources/describe';
export type { HistoryEntry } from '../../resources/history';
export type { ReferenceValue } from '../../resources/fields';
export type { RowReference } from '../../resources/delete';
