// What an audit row is about when it is not a user: a resource's row. Which table and column hold
// a resource's titles is the caller's to say (AuditSubjectTypes, built from the registry by the
// tRPC layer): services do not read the resource definitions.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema';

/** Where the rows of one resource (a `subject_type`) are and what to call them. */
export interface AuditSubjectType {
	/** One row, in words: "feature flag". */
	labelOne: string;
	/** `/resources/<path>`: a row's page is `${href}/${id}`. */
	href: string;
	table: string;
	/** The column that names a row. */
	titleColumn: string;
}

/** Every registered resource's, by name. */
export type AuditSubjectTypes = Readonly<Record<string, AuditSubjectType>>;

/** The resource a row's subject belongs to, for its label and the link to the row's page. */
export interface AuditSubjectResource {
	name: string;
	/** One row, in words: "feature flag". */
	labelOne: string;
	/** `/resources/<path>`; the row is at `${href}/${subjectId}`. Null: no longer registered. */
	href: string | null;
}

/** A registered resource by name; rows of one removed since keep its name, without a link. */
export function subjectResource(subjects: AuditSubjectTypes, name: string): AuditSubjectResource {
	if (!Object.hasOwn(subjects, name)) return { name, labelOne: name, href: null };
	const { labelOne, href } = subjects[name]!;
	return { name, labelOne, href };
}

/**
 * The titles of the resource rows a page is about, as `<resource>:<id>`: one query per resource
 * on the page, never one per row. Rows deleted since have none.
 */
export async function rowTitles(
	db: Kysely<Database>,
	subjects: AuditSubjectTypes,
	rows: Array<{ subject_type: string | null; subject_id: string | null }>
): Promise<Map<string, string>> {
	const idsByType = new Map<string, Set<string>>();
	for (const row of rows) {
		if (!row.subject_type || !row.subject_id || !Object.hasOwn(subjects, row.subject_type))
			continue;
		const ids = idsByType.get(row.subject_type) ?? new Set<string>();
		idsByType.set(row.subject_type, ids.add(row.subject_id));
	}
	const titles = new Map<string, string>();
	await Promise.all(
		[...idsByType].map(async ([type, ids]) => {
			const { table, titleColumn } = subjects[type]!;
			// Table and column come from the definitions, the ids as parameters.
			const { rows: found } = await sql<{ id: string; title: unknown }>`
				select id, ${sql.ref(titleColumn)} as title from ${sql.table(table)}
				where id in (${sql.join([...ids])})`.execute(db);
			for (const row of found) titles.set(`${type}:${row.id}`, String(row.title));
		})
	);
	return titles;
}
