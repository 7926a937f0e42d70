// Changing a resource's rows: create, update, delete. Every change runs in one transaction with
// its audit row, and every change to an existing row is one conditional statement
// (`WHERE id = ? AND version = ?`) whose affected-row count decides: a row that moved on since the
// caller read it is a StaleEditError carrying the current row, and nothing is written.
import type { Kysely } from 'kysely';
import { recordAudit } from '../db/audit-log';
import { affectedRows } from '../db/errors';
import type { Database } from '../db/schema';
import { decidingTransaction } from '../db/transaction';
import { StaleEditError } from '../errors';
import { newId } from '../ids';
import type { Actor } from '../services/actor';
import type { ServiceDeps } from '../services/deps';
import { columnOf, type AnyResource, type RowVersion } from './define';
import { findRow, getRow, rowAtVersion } from './reading';
import { tablesOf, type ApiRow } from './rows';
import {
	auditActor,
	change,
	checkValues,
	storedValues,
	uniqueRace,
	unwrap,
	type Changes
} from './values';

type Resources = Record<string, AnyResource>;

export async function createRow(
	deps: ServiceDeps,
	resource: AnyResource,
	resources: Resources,
	actor: Actor,
	values: Record<string, unknown>
): Promise<ApiRow> {
	const id = newId();
	const now = deps.clock.now();
	await decidingTransaction(deps.db, async (trx) => {
		await checkValues(trx, resource, resources, values, null);
		await tablesOf(trx)
			.insertInto(resource.table)
			.values({
				id,
				version: 1,
				created_at: now,
				updated_at: now,
				...storedValues(resource, values)
			})
			.execute()
			.catch((error: unknown) => uniqueRace(resource, values, error));
		const changes: Changes = {};
		for (const [key, value] of Object.entries(values))
			changes[key] = change(resource, key, undefined, value);
		await recordAudit(
			trx,
			{
				event: 'record.created',
				...auditActor(actor),
				subjectType: resource.name,
				subjectId: id,
				changes
			},
			now
		);
	});
	return getRow(deps, resource, resources, id);
}

/**
 * Writes `values` over the row read at `target.version`; fields whose value is unchanged are left
 * out (of the statement and the audit). Returns what changed. Runs inside the caller's transaction.
 */
export async function writeRow(
	trx: Kysely<Database>,
	resource: AnyResource,
	resources: Resources,
	current: ApiRow,
	values: Record<string, unknown>,
	now: number
): Promise<Changes> {
	const stored = storedValues(resource, values);
	const before = storedValues(
		resource,
		Object.fromEntries(Object.keys(values).map((key) => [key, unwrap(current[key])]))
	);
	const changed = Object.keys(values).filter((key) => {
		const column = columnOf(resource, key);
		return String(stored[column]) !== String(before[column]);
	});
	const changedValues = Object.fromEntries(changed.map((key) => [key, values[key]]));
	await checkValues(trx, resource, resources, changedValues, current.id);
	const result = await tablesOf(trx)
		.updateTable(resource.table)
		.set({
			...storedValues(resource, changedValues),
			version: current.version + 1,
			updated_at: now
		})
		.where('id', '=', current.id)
		.where('version', '=', current.version)
		.executeTakeFirst()
		.catch((error: unknown) => uniqueRace(resource, changedValues, error));
	if (affectedRows(result) !== 1)
		throw new StaleEditError(await findRow(trx, resource, resources, current.id));
	const changes: Changes = {};
	for (const key of changed) changes[key] = change(resource, key, current[key], values[key]);
	return changes;
}

export async function updateRow(
	deps: ServiceDeps,
	resource: AnyResource,
	resources: Resources,
	actor: Actor,
	target: RowVersion,
	values: Record<string, unknown>
): Promise<ApiRow> {
	const now = deps.clock.now();
	await decidingTransaction(deps.db, async (trx) => {
		const current = await rowAtVersion(trx, resource, resources, target);
		const changes = await writeRow(trx, resource, resources, current, values, now);
		await recordAudit(
			trx,
			{
				event: 'record.updated',
				...auditActor(actor),
				subjectType: resource.name,
				subjectId: target.id,
				changes
			},
			now
		);
	});
	return getRow(deps, resource, resources, target.id);
}
