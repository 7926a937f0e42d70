// A paged list as a page loads it: the page number and size come from the URL (so paging works
// without JavaScript), the procedure's schema validates them.
import { error } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';

export interface PageQuery {
	page?: number;
	pageSize?: number;
}

/** `page` and `pageSize` from the URL, as given: absent ones take the procedure's defaults. */
export function pageQuery(url: URL): PageQuery {
	const query = Object.fromEntries(
		['page', 'pageSize'].flatMap((name) => {
			const value = url.searchParams.get(name);
			return value ? [[name, value]] : [];
		})
	);
	// Text, not numbers: the schema coerces and refuses (`z.coerce`), so this need not.
	return query as PageQuery;
}

/** Runs the list; a page or size the schema refuses is the visitor's 400, not a server error. */
export async function loadPage<T>(list: () => Promise<T>): Promise<T> {
	try {
		return await list();
	} catch (cause) {
		if (cause instanceof TRPCError && cause.code === 'BAD_REQUEST') {
			error(400, 'That page is not valid');
		}
		throw cause;
	}
}

/** What Pagination needs besides the total: the numbers the list was loaded with. */
export function pagingOf(query: PageQuery, defaultSize = 25): { page: number; pageSize: number } {
	return { page: Number(query.page ?? 1), pageSize: Number(query.pageSize ?? defaultSize) };
}
