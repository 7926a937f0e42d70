// `resourceCatalog` and the shapes of the resource procedures' answers, for code that works on any
// resource (the generic pages reach the procedures by name through the caller and may not import
// resources/, so they take these types from here).
import { roleCan } from '../../../permissions';
import { noInputSchema } from '../../../schemas/no-input';
import type { AnyResource } from '../../resources/define';
import { describeResource, type ResourceDescription } from '../../resources/describe';
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
		// A token's catalog depends on its scopes: described per call. A person's on the role only.
		ctx.apiToken ? describeCatalog((permission) => may(ctx, permission)) : catalogFor(ctx.user.role)
	);

function describeCatalog(allows: (permission: string) => boolean): ResourceDescription[] {
	return Object.values(resources as Record<string, AnyResource>)
		.filter((resource) => allows(resource.permission('read')))
		.map((resource) => describeResource(resource, allows));
}

// The registry and the roles' grants are fixed when the server starts, and every page of the app
// asks for the catalog (the nav lists it): each role's is described once, then shared. Shared
// between requests, so frozen: a caller that changed it would change it for everyone.
const catalogs = new Map<string, readonly ResourceDescription[]>();

function catalogFor(role: string): readonly ResourceDescription[] {
	let catalog = catalogs.get(role);
	if (!catalog) {
		catalog = deepFreeze(describeCatalog((permission) => roleCan(role, permission)));
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
