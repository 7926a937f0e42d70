// How the generic resource pages (/resources/<path>/...) reach a resource: its description as the
// role may see it (404 when unknown or not readable: the same answer, so the URL does not tell
// which resources exist) and its `resources.<name>` procedures by name through the server caller.
// Each procedure checks the role's permission and its input itself; these types describe any
// resource's procedures, whose exact types (per resource) are for code that names one.
import { error, type RequestEvent } from '@sveltejs/kit';
import type { ListUrlInput } from '../../resources/list-query';
import type {
	HistoryEntry,
	ReferenceValue,
	ResourceDescription,
	RowReference
} from '../trpc/routers/resource-catalog';
import type { ServerCaller } from './page-group';

export type {
	FieldDescription,
	HistoryEntry,
	ReferenceValue,
	ResourceDescription,
	RowReference
} from '../trpc/routers/resource-catalog';

/** A row as the API returns it, for any resource. */
export type AnyRow = { id: string; version: number; createdAt: Date; updatedAt: Date } & Record<
	string,
	unknown
>;

/** A row's id and the version it was read at: what every change names. */
export interface RowVersion {
	id: string;
	version: number;
}

/** The procedures of one resource, typed for code that works on any of them. */
export interface ResourceProcedures {
	list(
		input: ListUrlInput
	): Promise<{ rows: AnyRow[]; total: number; page: number; pageSize: number }>;
	exportPage(input: {
		query: ListUrlInput;
		offset?: number;
	}): Promise<{ rows: AnyRow[]; next: number | null }>;
	get(input: { id: string }): Promise<AnyRow>;
	history(input: {
		id: string;
		page?: number;
	}): Promise<{ entries: HistoryEntry[]; total: number; pageSize: number }>;
	references(input: { id: string }): Promise<RowReference[]>;
	options(input: { field: string; search?: string }): Promise<ReferenceValue[]>;
	create(values: Record<string, unknown>): Promise<AnyRow>;
	update(input: RowVersion & { values: Record<string, unknown> }): Promise<AnyRow>;
	delete(input: RowVersion): Promise<{ ok: true }>;
	bulk(input: { action: string; rows: RowVersion[] }): Promise<{ count: number }>;
	action(input: RowVersion & { action: string }): Promise<{ count: number }>;
}

export interface ResourceAt {
	resource: ResourceDescription;
	/** Every resource the role may read (for links to referenced rows). */
	catalog: readonly ResourceDescription[];
	procedures: ResourceProcedures;
}

// One catalog per request: the (app) layout and the page of one request
// share it (their loads run on the same Request; each still runs its own guard).
const catalogs = new WeakMap<Request, ReturnType<ServerCaller['resourceCatalog']>>();

/** The resources this request's role may read, described (asked once per request). */
export function catalogOf(
	api: ServerCaller,
	event: Pick<RequestEvent, 'request'>
): ReturnType<ServerCaller['resourceCatalog']> {
	let catalog = catalogs.get(event.request);
	if (!catalog) {
		catalog = api.resourceCatalog();
		catalogs.set(event.request, catalog);
	}
	return catalog;
}

/**
 * The resource at `/resources/<path>`, described for this role, and its procedures; every page and
 * action under it starts here. Unknown, or not readable by this role: 404, the same answer for
 * both, so the URL does not tell which resources exist.
 */
export async function resourceAt(
	api: ServerCaller,
	event: Pick<RequestEvent, 'request' | 'params'>
): Promise<ResourceAt> {
	const catalog = await catalogOf(api, event);
	const resource = catalog.find((entry) => entry.path === event.params.resource);
	if (!resource) error(404, 'Not found');
	const procedures = (api.resources as unknown as Record<string, ResourceProcedures>)[
		resource.name
	]!;
	return { resource, catalog, procedures };
}
