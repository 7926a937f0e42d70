// Sortable column headers are plain links: the list's URL with another sort and the first page,
// every other parameter (search, filters, page size) kept, so sorting works without JavaScript.

export type SortDirection = 'asc' | 'desc';

export interface SortState {
	key: string;
	direction: SortDirection;
}

/** The page's query without form-action keys (`/bulk`), which a link must not carry. */
export function listParams(params: URLSearchParams): URLSearchParams {
	return new URLSearchParams([...params].filter(([key]) => !key.startsWith('/')));
}

/** `?…` of a link to the same list with `changes` applied (null removes a parameter). */
export function withParams(
	params: URLSearchParams,
	changes: Record<string, string | null>
): string {
	const next = listParams(params);
	for (const [key, value] of Object.entries(changes)) {
		if (value === null) next.delete(key);
		else next.set(key, value);
	}
	return `?${next}`;
}

/** The resources' style: one `sort` parameter, `key` or `-key`. */
export function signedSortHref(params: URLSearchParams, sort: SortState, key: string): string {
	const descending = sort.key === key && sort.direction === 'asc';
	return withParams(params, { sort: descending ? `-${key}` : key, page: null });
}

/** `key` / `-key` to a sort state. */
export function parseSignedSort(sort: string): SortState {
	return sort.startsWith('-')
		? { key: sort.slice(1), direction: 'desc' }
		: { key: sort, direction: 'asc' };
}
