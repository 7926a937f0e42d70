// Listing a resource: search, filters, sort and pages from the definition, as two statements (the
// page and its count) plus one per referenced table for titles. Every name in the SQL comes from
// the definition (the input schema allows only declared sorts and filters); every value is a
// Kysely parameter.
import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { InvalidFieldsError } from '../errors';
import type { ServiceDeps } from '../services/deps';
import type { AnyResource, ListQuery } from './define';
import { fieldOf, columnOf } from './define';
import {
	apiRow,
	fillReferences,
	selectColumns,
	tablesOf,
	type AnyTables,
	type ApiRow
} from './rows';

export interface ListPage {
	rows: ApiRow[];
	total: number;
}

const STANDARD_SORT: Record<string, string> = { createdAt: 'created_at', updatedAt: 'updated_at' };

/** At most this many words of a search are used; each must match some searchable column. */
const SEARCH_WORDS = 8;

/** LIKE metacharacters as literal text; `!` escapes, as backslash differs between dialects. */
export function likePattern(word: string): string {
	return `%${word.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/**
 * Rows where every word of `search` (the first 8) is in one of `columns`, ignoring case. lower()
 * on both sides: SQLite's LIKE folds ASCII case, MySQL's depends on the collation.
 */
export function everyWordIn<O>(
	select: SelectQueryBuilder<AnyTables, string, O>,
	columns: string[],
	search: string | undefined
): SelectQueryBuilder<AnyTables, string, O> {
	const words = (search ?? '').split(/\s+/).filter(Boolean).slice(0, SEARCH_WORDS);
	for (const word of words) {
		const pattern = likePattern(word);
		select = select.where(({ or, ref }) =>
			or(
				columns.map(
					(column) =>
						sql<SqlBool>`lower(${ref(column)}) like ${pattern} escape '!'` as Expression<SqlBool>
				)
			)
		);
	}
	return select;
}

function filtered(
	deps: ServiceDeps,
	resource: AnyResource,
	query: Omit<ListQuery, 'page' | 'pageSize' | 'sort'>
) {
	const searchColumns = resource.list.search.map((key) => columnOf(resource, key));
	let select = everyWordIn(
		tablesOf(deps.db).selectFrom(resource.table),
		searchColumns,
		query.search
	);
	for (const [key, value] of Object.entries(query.filter)) {
		if (value === undefined) continue;
		const field = fieldOf(resource, key);
		select = select.where(columnOf(resource, key), '=', field.write(value) as never);
	}
	return select;
}

/** One page of rows and how many match. A page past the last one is an error on `page`. */
export async function listRows(
	deps: ServiceDeps,
	resource: AnyResource,
	resources: Record<string, AnyResource>,
	query: ListQuery
): Promise<ListPage> {
	const base = filtered(deps, resource, query);
	const [stored, count] = await Promise.all([
		ordered(base.select(selectColumns(resource)), resource, query.sort)
			.limit(query.pageSize)
			.offset((query.page - 1) * query.pageSize)
			.execute(),
		base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow()
	]);
	const total = Number(count.total);
	if (stored.length === 0 && query.page > 1) {
		const last = Math.max(1, Math.ceil(total / query.pageSize));
		throw new InvalidFieldsError(
			{ page: `There are ${last} pages` },
			`Page ${query.page} is past the end`
		);
	}
	const rows = stored.map((row) => apiRow(resource, row));
	await fillReferences(deps.db, resource, resources, rows);
	return { rows, total };
}

/**
 * Sort by the named column (`-` for descending), then by id so pages never overlap; the id in the
 * same direction, so the (column, id) index serves the whole ORDER BY (MariaDB sorts every
 * matching row when the directions are mixed).
 */
function ordered<Q extends { orderBy: (column: string, direction: 'asc' | 'desc') => Q }>(
	select: Q,
	resource: AnyResource,
	sort: string
): Q {
	if (!sort) return select.orderBy('id', 'asc');
	const key = sort.replace(/^-/, '');
	const column = STANDARD_SORT[key] ?? columnOf(resource, key);
	const direction = sort.startsWith('-') ? 'desc' : 'asc';
	return select.orderBy(column, direction).orderBy('id', direction);
}

/**
 * Every row matching the list's search and filters, in its order, a batch at a time (for CSV
 * export): a page query per batch and no count.
 */
export async function* exportRows(
	deps: ServiceDeps,
	resource: AnyResource,
	resources: Record<string, AnyResource>,
	query: Omit<ListQuery, 'page' | 'pageSize'>,
	batch = 500,
	from = 0
): AsyncGenerator<ApiRow[]> {
	const base = filtered(deps, resource, query);
	for (let offset = from; ; offset += batch) {
		const stored = await ordered(base.select(selectColumns(resource)), resource, query.sort)
			.limit(batch)
			.offset(offset)
			.execute();
		if (stored.length === 0) return;
		const rows = stored.map((row) => apiRow(resource, row));
		await fillReferences(deps.db, resource, resources, rows);
		yield rows;
		if (stored.length < batch) return;
	}
}
