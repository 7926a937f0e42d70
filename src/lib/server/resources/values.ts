// What a change writes and records: input values as stored, the checks a schema cannot make
// (references that must exist, values that must be unique), and the audit trail's old and new
// values (never a secret field's).
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../db/errors';
import type { Database } from '../db/schema';
import { InvalidFieldsError } from '../errors';
import type { Actor } from '../services/actor';
import { columnOf, fieldLabel, fieldOf, type AnyResource } from './define';
import { tablesOf, type StoredRow } from './rows';
import { referenceTarget } from './targets';

type Resources = Record<string, AnyResource>;
export type Changes = Record<string, { from?: unknown; to?: unknown }>;

/** Values as stored, for the fields given (validated input: API values). */
export function storedValues(resource: AnyResource, values: Record<string, unknown>): StoredRow {
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

export function change(
	resource: AnyResource,
	key: string,
	from: unknown,
	to: unknown
): Changes[string] {
	if (fieldOf(resource, key).secret) return {};
	return { from: auditValue(from), to: auditValue(to) };
}

/**
 * Refuses values the schema could not judge: a reference to a row that does not exist, a unique
 * value another row has. Checked inside the writing transaction; the unique index still decides
 * a race (see `uniqueRace`).
 */
export async function checkValues(
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
export function uniqueRace(
	resource: AnyResource,
	values: Record<string, unknown>,
	error: unknown
): never {
	if (!isUniqueViolation(error)) throw error;
	const key = Object.keys(values).find((name) => fieldOf(resource, name).unique) ?? 'id';
	throw new InvalidFieldsError({ [key]: `Another ${resource.labelOne} has this value` });
}

/** A reference's id, a Date as it is: values as the input schemas give them. */
export function unwrap(value: unknown): unknown {
	if (value && typeof value === 'object' && !(value instanceof Date) && 'id' in value)
		return (value as { id: unknown }).id;
	return value;
}

/** The audit row's who and where. */
export function auditActor(actor: Actor) {
	return { actorId: actor.actorId, ip: actor.ip, userAgent: actor.userAgent };
}
