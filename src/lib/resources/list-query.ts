// A resource list's URL and the `list` procedure's input, both ways. The URL is the page contract
// (`q`, `sort`, `page`, `pageSize`, one parameter per filter named as its field), shared by the
// list page, its CSV export and tools that link to a filtered list. This only turns text into the
// input's shape and refuses parameters the list does not have; the procedure's schema judges the
// values (which sorts, which choices, which page sizes), and `listErrorMessage` words its answer
// in the URL's names.

/**
 * How many rows a reference field's choices offer at most, and a list's reference filter (of the
 * page's own rows): never a select of a whole table.
 */
export const REFERENCE_OPTIONS = 20;

/** The list's own parameters; every other one must be a filter. */
export const LIST_PARAMS = ['q', 'sort', 'page', 'pageSize'] as const;

export interface ListUrlInput {
	search?: string;
	filter: Record<string, string>;
	sort?: string;
	page?: number;
	pageSize?: number;
}

/** A parameter the list cannot take; the message names it, for a 400 page. */
export class ListParamError extends Error {}

const WHOLE_NUMBER = /^[1-9]\d{0,8}$/;

/**
 * The list input a URL asks for. Empty values mean "not given" (a GET form's "Any" sends one).
 * Keys starting with `/` name a form action (`?/bulk`) and are not the list's.
 */
export function listInputFromUrl(
	params: URLSearchParams,
	filters: readonly string[]
): ListUrlInput {
	const input: ListUrlInput = { filter: {} };
	const seen = new Set<string>();
	for (const [key, value] of params) {
		if (key.startsWith('/')) continue;
		if (seen.has(key)) throw new ListParamError(`${key}: given more than once`);
		seen.add(key);
		const known = (LIST_PARAMS as readonly string[]).includes(key) || filters.includes(key);
		if (!known) throw new ListParamError(`${key}: this list has no such parameter`);
		if (value === '') continue;
		if (key === 'q') input.search = value;
		else if (key === 'sort') input.sort = value;
		else if (key === 'page' || key === 'pageSize') {
			if (!WHOLE_NUMBER.test(value)) throw new ListParamError(`${key}: a whole number from 1`);
			input[key] = Number(value);
		} else input.filter[key] = value;
	}
	return input;
}

/** The URL parameter a path of the list input's schema stands for. */
export function paramOf(path: readonly PropertyKey[]): string {
	const [head, next] = path;
	if (head === 'search') return 'q';
	if (head === 'filter' && next !== undefined) return String(next);
	return String(head ?? 'query');
}

/** Schema issues of a list input, as one line in the URL's terms: `sort: One of: key, -key`. */
export function listErrorMessage(
	issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }>
): string {
	return issues.map((issue) => `${paramOf(issue.path)}: ${issue.message}`).join('; ');
}
