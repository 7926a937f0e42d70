// Listing a resource: search, filters, sort and pages from the definition, as two statements: the
// page, with each reference's title joined in, and its count. Every name in the SQL comes from the
// definition (the input schema allows only declared sorts and filters) and is qualified with its
// table, since a joined table may have columns of the same names; every value is a Kysely
// parameter.
import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { InvalidFieldsError } from '../errors';
import type { ServiceDeps } from '../services/deps';
import type { AnyResource, ListQuery } from './define';
import { fieldOf, columnOf } from './define';
import { apiRow, referencesOf, selectColumns, tablesOf, type AnyTables, type ApiRow } from './rows';
import { referenceTarget } from './targets';

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
	const searchColumns = resource.list.search.map((key) => own(resource, columnOf(resource, key)));
	let select = everyWordIn(
		tablesOf(deps.db).selectFrom(resource.table),
		searchColumns,
		query.search
	);
	for (const [key, value] of Object.entries(query.filter)) {
		if (value === undefined) continue;
		const field = fieldOf(resource, key);
		select = select.where(own(resource, columnOf(resource, key)), '=', field.write(value) as never);
	}
	return select;
}

/** `table.column`: the resource's own column, whatever the joined tables hold. */
function own(resource: AnyResource, column: string): string {
	return `${resource.table}.${column}`;
}

/**
 * One page of rows, found by id first: the inner statement walks the sort's (column, id) index
 * reading ids only, and stops at the page's end; the outer one reads those rows by key and, for
 * each reference field, the referenced row's title by a LEFT JOIN (a row that no longer exists
 * gives no title). Selecting every column in one step made MariaDB sort every matching row when
 * the table has a TEXT column (a longText field), as the description of the example resource.
 */
function pageOf(
	db: ServiceDeps['db'],
	base: ReturnType<typeof filtered>,
	resource: AnyResource,
	resources: Record<string, AnyResource>,
	{ sort, limit, offset }: { sort: string; limit: number; offset: number }
) {
	const order = sortOf(resource, sort);
	// The page carries its sort value, so the outer statement sorts its own few rows by it (ordering
	// by the table's column instead let SQLite walk the whole table in index order).
	const page = ordered(
		base.select([
			own(resource, 'id'),
			...(order.column ? [`${own(resource, order.column)} as ${order.column}`] : [])
		]),
		resource.table,
		order
	)
		.limit(limit)
		.offset(offset)
		.as('page');
	let select = tablesOf(db)
		.selectFrom(page)
		.innerJoin(resource.table, own(resource, 'id'), 'page.id')
		.select(selectColumns(resource).map((column) => own(resource, column)));
	for (const reference of referencesOf(resource)) {
		const target = referenceTarget(reference.target, resources);
		const alias = `${reference.key}__ref`;
		select = select
			.leftJoin(`${target.table} as ${alias}`, `${alias}.id`, own(resource, reference.column))
			.select(`${alias}.${target.titleColumn} as ${reference.title}`);
	}
	// A derived table's order is not kept: the page's rows are put in order again.
	return ordered(select, 'page', order);
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
		pageOf(deps.db, base, resource, resources, {
			sort: query.sort,
			limit: query.pageSize,
			offset: (query.page - 1) * query.pageSize
		}).execute(),
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
	return { rows: stored.map((row) => apiRow(resource, row)), total };
}

interface SortOrder {
	/** None: by id alone. */
	column: string | null;
	direction: 'asc' | 'desc';
	/** The column is unique and never null: it orders the rows alone. */
	unique: boolean;
}

/** The sort (`-` for descending) as columns. */
function sortOf(resource: AnyResource, sort: string): SortOrder {
	if (!sort) return { column: null, direction: 'asc', unique: false };
	const key = sort.replace(/^-/, '');
	const field = STANDARD_SORT[key] ? undefined : fieldOf(resource, key);
	return {
		column: STANDARD_SORT[key] ?? columnOf(resource, key),
		direction: sort.startsWith('-') ? 'desc' : 'asc',
		unique: Boolean(field?.unique && !field.optional)
	};
}

/**
 * Sort by the sort's column of `table` (the resource's own, or the page of ids), then by id so
 * pages never overlap; the id in the same direction, so the (column, id) index serves the whole
 * ORDER BY (MariaDB sorts every matching row when the directions are mixed). A unique column
 * that is never null orders alone, and the id must not be named: MariaDB appends the primary key
 * only to non-unique indexes, and would sort every matching row to honour `column, id`.
 */
function ordered<Q extends { orderBy: (column: string, direction: 'asc' | 'desc') => Q }>(
	select: Q,
	table: string,
	{ column, direction, unique }: SortOrder
): Q {
	if (!column) return select.orderBy(`${table}.id`, direction);
	const sorted = select.orderBy(`${table}.${column}`, direction);
	return unique ? sorted : sorted.orderBy(`${table}.id`, direction);
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
		const stored = await pageOf(deps.db, base, resource, resources, {
			sort: query.sort,
			limit: batch,
			offset
		}).execute();
		if (stored.length === 0) return;
		yield stored.map((row) => apiRow(resource, row));
		if (stored.length < batch) return;
	}
}
