// Reading a resource's rows: the columns to select, a stored row to the API's row, and the
// titles of referenced rows. A list joins them into its own statement (list.ts); a single row, or
// rows read otherwise, get them with one query per referenced table (never one per row).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { AnyResource } from './define';
import { columnOf, fieldOf } from './define';
import type { Field, ReferenceValue } from './fields';
import { referenceTarget } from './targets';

/** Resource tables are not in `Database`: the generic code reads them through this view. */
export type AnyTables = Record<string, Record<string, unknown>>;

export function tablesOf(db: Kysely<Database>): Kysely<AnyTables> {
	return db as unknown as Kysely<AnyTables>;
}

export type StoredRow = Record<string, unknown>;
export type ApiRow = Record<string, unknown> & {
	id: string;
	version: number;
	createdAt: Date;
	updatedAt: Date;
};

/** Every stored column of the resource, aliased to nothing: `id`, `version`, times, fields. */
export function selectColumns(resource: AnyResource): string[] {
	return ['id', 'version', 'created_at', 'updated_at', ...Object.values(resource.columns)];
}

interface RowReader {
	stored: Array<{ key: string; column: string; read: (raw: unknown) => unknown }>;
	computed: Array<{ key: string; compute: NonNullable<Field['compute']> }>;
	references: ReferenceField[];
}

/** A reference field: its key, its column, the table it refers to and where a list reads its title. */
export interface ReferenceField {
	key: string;
	column: string;
	target: string;
	/** The column a list's statement reads the title into (list.ts joins it in). */
	title: string;
}

// A resource's definition does not change once registered: how to read its rows is worked out
// once, not for every row of every page (a 100-row list reads 100 rows per request).
const readers = new WeakMap<AnyResource, RowReader>();

function readerOf(resource: AnyResource): RowReader {
	let reader = readers.get(resource);
	if (!reader) {
		reader = {
			stored: Object.entries(resource.columns).map(([key, column]) => {
				const field = fieldOf(resource, key);
				return { key, column, read: (raw: unknown) => field.read(raw) };
			}),
			computed: Object.entries(resource.fields).flatMap(([key, field]) =>
				field.compute ? [{ key, compute: field.compute }] : []
			),
			references: Object.entries(resource.fields).flatMap(([key, field]) =>
				field.kind === 'reference'
					? [
							{
								key,
								column: columnOf(resource, key),
								target: field.target!,
								title: `${key}__title`
							}
						]
					: []
			)
		};
		readers.set(resource, reader);
	}
	return reader;
}

/** The resource's reference fields (worked out once, with the rest of its reader). */
export function referencesOf(resource: AnyResource): readonly ReferenceField[] {
	return readerOf(resource).references;
}

/**
 * A stored row as the API returns it. References carry the title the statement joined in (a list's),
 * or an empty one until fillReferences fills it.
 */
export function apiRow(resource: AnyResource, stored: StoredRow): ApiRow {
	const reader = readerOf(resource);
	const row: ApiRow = {
		id: stored.id as string,
		version: Number(stored.version),
		createdAt: new Date(Number(stored.created_at)),
		updatedAt: new Date(Number(stored.updated_at))
	};
	for (const { key, column, read } of reader.stored) {
		const raw = stored[column];
		row[key] = read(raw === undefined ? null : raw);
	}
	// Titles the statement joined in (a list's); other readers fill them in with fillReferences.
	for (const { key, title } of reader.references) {
		const value = row[key] as ReferenceValue | null;
		if (value && title in stored) value.title = String(stored[title] ?? '');
	}
	for (const { key, compute } of reader.computed) row[key] = compute(row);
	return row;
}

/**
 * Fills in the titles of every reference of `rows`: one query per referenced table, with the
 * distinct ids of the page. A row that no longer exists keeps its id with an empty title.
 */
export async function fillReferences(
	db: Kysely<Database>,
	resource: AnyResource,
	resources: Record<string, AnyResource>,
	rows: ApiRow[]
): Promise<void> {
	const byTarget = new Map<string, string[]>();
	for (const { key, target } of referencesOf(resource)) {
		byTarget.set(target, [...(byTarget.get(target) ?? []), key]);
	}
	await Promise.all(
		[...byTarget].map(async ([targetName, keys]) => {
			const ids = new Set<string>();
			for (const row of rows) {
				for (const key of keys) {
					const value = row[key] as ReferenceValue | null;
					if (value) ids.add(value.id);
				}
			}
			if (ids.size === 0) return;
			const target = referenceTarget(targetName, resources);
			const found = await tablesOf(db)
				.selectFrom(target.table)
				.select(['id', `${target.titleColumn} as title`])
				.where('id', 'in', [...ids])
				.execute();
			const titles = new Map(found.map((row) => [row.id as string, String(row.title)]));
			for (const row of rows) {
				for (const key of keys) {
					const value = row[key] as ReferenceValue | null;
					if (value) row[key] = { id: value.id, title: titles.get(value.id) ?? '' };
				}
			}
		})
	);
}
