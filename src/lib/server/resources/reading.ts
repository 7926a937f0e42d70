// Reading one row of a resource: by id for the API, and at the version a change names, inside
// the change's transaction.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { NotFoundError, StaleEditError } from '../errors';
import type { ServiceDeps } from '../services/deps';
import type { AnyResource, RowVersion } from './define';
import { apiRow, fillReferences, selectColumns, tablesOf, type ApiRow } from './rows';

type Resources = Record<string, AnyResource>;

/** One row by id, as the API returns it. */
export async function getRow(
	deps: ServiceDeps,
	resource: AnyResource,
	resources: Resources,
	id: string
): Promise<ApiRow> {
	const row = await findRow(deps.db, resource, resources, id);
	if (!row) throw new NotFoundError(`No such ${resource.labelOne}`);
	return row;
}

/** One row by id; `titles: false` leaves references' titles empty (one query less). */
export async function findRow(
	db: Kysely<Database>,
	resource: AnyResource,
	resources: Resources,
	id: string,
	{ titles = true }: { titles?: boolean } = {}
): Promise<ApiRow | null> {
	const stored = await tablesOf(db)
		.selectFrom(resource.table)
		.select(selectColumns(resource))
		.where('id', '=', id)
		.executeTakeFirst();
	if (!stored) return null;
	const row = apiRow(resource, stored);
	if (titles) await fillReferences(db, resource, resources, [row]);
	return row;
}

/**
 * The row at `version`, inside a transaction: a missing or moved-on row is a StaleEditError
 * carrying the row as the API shows it. A change compares and audits references by id, and answers
 * with the row read again afterwards, so the titles are read only where they are shown: for the
 * error, or when `titles` asks (a custom action receives whole rows).
 */
export async function rowAtVersion(
	trx: Kysely<Database>,
	resource: AnyResource,
	resources: Resources,
	target: RowVersion,
	{ titles = false }: { titles?: boolean } = {}
): Promise<ApiRow> {
	const row = await findRow(trx, resource, resources, target.id, { titles });
	if (!row || row.version !== target.version) {
		if (row && !titles) await fillReferences(trx, resource, resources, [row]);
		throw new StaleEditError(row);
	}
	return row;
}
