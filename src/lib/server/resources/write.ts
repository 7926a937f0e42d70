// Changing a resource's rows: create, update, delete. Every change runs in one transaction with
// its audit row, and every change to an existing row is one conditional statement
// (`WHERE id = ? AND version = ?`) whose affected-row count decides: a row that moved on since the
// caller read it is a StaleEditError carrying the current row, and nothing is written.
import { recordAudit } from '../db/audit-log';
import { affectedRows, isUniqueViolation } from '../db/errors';
import type { Database } from '../db/schema';
import { decidingTransaction } from '../db/transaction';
import { InvalidFieldsError, NotFoundError, RowInUseError, StaleEditError } from '../errors';
import { newId } from '../ids';
import type { Actor } from '../services/actor';
import type { ServiceDeps } from '../services/deps';
import { fieldLabel, type AnyResource, type RowVersion, fieldOf, columnOf } from './define';
import {
	apiRow,
	fillReferences,
	selectColumns,
	tablesOf,
	type ApiRow,
	type StoredRow
} from './rows';
import { referenceTarget } from './targets';
import type { Kysely } from 'kysely';

type Resources = Record<string, AnyResource>;
export type Changes = Record<string, { from?: unknown; to?: unknown }>;

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

async function findRow(
	db: Kysely<Database>,
	resource: AnyResource,
	resources: Resources,
	id: string
): Promise<ApiRow | null> {
	const stored = await tablesOf(db)
		.selectFrom(resource.table)
		.select(selectColumns(resource))
		.where('id', '=', id)
		.executeTakeFirst();
	if (!stored) return null;
	const row = apiRow(resource, stored);
	await fillReferences(db, resource, resources, [row]);
	return row;
}

/** Values as stored, for the fields given (validated input: API values). */
function storedValues(resource: AnyResource, values: Record<string, unknown>): StoredRow {
	const stored: StoredRow = {};
	for (const [key, value] of Object.entries(values)) {
		stored[columnOf(resource, key)] = value === null ? null : fieldOf(resource, key).write(value);
	}
	return stored;
}

/** A value for the audit trail: plain JSON, a reference as its id. */
function auditValue(value: unknown): unknown {
	if (value instanceof Date) return value.toISOString();
	if (value && typeof value === 'object' && 'id' in value) return (value as { id: unknown }).id;
	return value ?? null;
}

function change(resource: AnyResource, key: string, from: unknown, to: unknown): Changes[string] {
	if (fieldOf(resource, key).secret) return {};
	return { from: auditValue(from), to: auditValue(to) };
}

/**
 * Refuses values the schema could not judge: a reference to a row that does not exist, a unique
 * value another row has. Checked inside the writing transaction; the unique index still decides
 * a race (see `uniqueRace`).
 */
async function checkValues(
	db: Kysely<Database>,
	resource: AnyResource,
	resources: Resources,
	values: Record<string, unknown>,
	ownId: string | null
): Promise<void> {
	const errors: Record<string, string> = {};
	for (const [key, value] of Object.entries(values)) {
		const field = fieldOf(resource, key);
		if (value === null) continue;
		if (field.kind === 'reference') {
			const target = referenceTarget(field.target!, resources);
			const found = await tablesOf(db)
				.selectFrom(target.table)
				.select('id')
				.where('id', '=', value as string)
				.executeTakeFirst();
			if (!found) errors[key] = `No such ${resources[target.name]?.labelOne ?? 'user'}`;
		}
		if (field.unique) {
			let taken = tablesOf(db)
				.selectFrom(resource.table)
				.select('id')
				.where(columnOf(resource, key), '=', field.write(value) as never);
			if (ownId) taken = taken.where('id', '!=', ownId);
			if (await taken.executeTakeFirst())
				errors[key] =
					`Another ${resource.labelOne} has this ${fieldLabel(key, field).toLowerCase()}`;
		}
	}
	if (Object.keys(errors).length) throw new InvalidFieldsError(errors);
}

/** A unique index refused a value a concurrent write took first: the same field error. */
function uniqueRace(resource: AnyResource, values: Record<string, unknown>, error: unknown): never {
	if (!isUniqueViolation(error)) throw error;
	const key = Object.keys(values).find((name) => fieldOf(resource, name).unique) ?? 'id';
	throw new InvalidFieldsError({ [key]: `Another ${resource.labelOne} has this value` });
}

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

function auditActor(actor: Actor) {
	return { actorId: actor.actorId, ip: actor.ip, userAgent: actor.userAgent };
}

/** The row at `version`, inside a transaction: a missing or moved-on row is a StaleEditError. */
export async function rowAtVersion(
	trx: Kysely<Database>,
	resource: AnyResource,
	resources: Resources,
	target: RowVersion
): Promise<ApiRow> {
	const row = await findRow(trx, resource, resources, target.id);
	if (!row || row.version !== target.version) throw new StaleEditError(row);
	return row;
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

/** A reference's id, a Date as it is: values as the input schemas give them. */
function unwrap(value: unknown): unknown {
	if (value && typeof value === 'object' && !(value instanceof Date) && 'id' in value)
		return (value as { id: unknown }).id;
	return value;
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

/** Rows of other resources that refer to this one, per resource and field, for the delete page. */
export async function rowReferences(
	db: Kysely<Database>,
	resource: AnyResource,
	resources: Resources,
	id: string
): Promise<
	Array<{ resource: string; label: string; field: string; count: number; blocks: boolean }>
> {
	const found = [];
	for (const other of Object.values(resources)) {
		for (const [key, field] of Object.entries(other.fields)) {
			if (field.kind !== 'reference' || field.target !== resource.name) continue;
			const { n } = await tablesOf(db)
				.selectFrom(other.table)
				.select((eb) => eb.fn.countAll<number>().as('n'))
				.where(columnOf(other, key), '=', id)
				.executeTakeFirstOrThrow();
			if (Number(n) > 0) {
				found.push({
					resource: other.name,
					label: other.label,
					field: fieldLabel(key, field),
					count: Number(n),
					blocks: !field.optional
				});
			}
		}
	}
	return found;
}

/** Deletes the row read at `target.version`, inside the caller's transaction. */
export async function removeRow(
	trx: Kysely<Database>,
	resource: AnyResource,
	resources: Resources,
	current: ApiRow
): Promise<Changes> {
	const blocking = (await rowReferences(trx, resource, resources, current.id)).filter(
		(ref) => ref.blocks
	);
	if (blocking.length) {
		const what = blocking
			.map((ref) => `${ref.count} ${ref.label.toLowerCase()} (${ref.field})`)
			.join(', ');
		throw new RowInUseError(`Still referred to by ${what}: change or delete those first`);
	}
	const result = await tablesOf(trx)
		.deleteFrom(resource.table)
		.where('id', '=', current.id)
		.where('version', '=', current.version)
		.executeTakeFirst();
	if (affectedRows(result) !== 1)
		throw new StaleEditError(await findRow(trx, resource, resources, current.id));
	const changes: Changes = {};
	for (const key of Object.keys(resource.columns))
		changes[key] = change(resource, key, current[key], undefined);
	return changes;
}

export async function deleteRow(
	deps: ServiceDeps,
	resource: AnyResource,
	resources: Resources,
	actor: Actor,
	target: RowVersion
): Promise<void> {
	const now = deps.clock.now();
	await decidingTransaction(deps.db, async (trx) => {
		const current = await rowAtVersion(trx, resource, resources, target);
		const changes = await removeRow(trx, resource, resources, current);
		await recordAudit(
			trx,
			{
				event: 'record.deleted',
				...auditActor(actor),
				subjectType: resource.name,
				subjectId: target.id,
				changes
			},
			now
		);
	});
}
