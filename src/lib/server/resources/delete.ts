// Deleting rows: what refers to a row (the delete page shows it), and the delete itself, one
// conditional statement on the version read, refused while a required reference points at it.
import type { Kysely } from 'kysely';
import { recordAudit } from '../db/audit-log';
import { affectedRows } from '../db/errors';
import type { Database } from '../db/schema';
import { decidingTransaction } from '../db/transaction';
import { RowInUseError, StaleEditError } from '../errors';
import type { Actor } from '../services/actor';
import type { ServiceDeps } from '../services/deps';
import { columnOf, fieldLabel, type AnyResource, type RowVersion } from './define';
import { findRow, rowAtVersion } from './reading';
import { tablesOf, type ApiRow } from './rows';
import { auditActor, change, type Changes } from './values';

type Resources = Record<string, AnyResource>;

/** Rows of other resources that refer to this one, per resource and field, for the delete page. */
/** Rows of another resource that refer to a row through one field. */
export interface RowReference {
	resource: string;
	label: string;
	field: string;
	count: number;
	/** A required reference: the row cannot be deleted while these exist. */
	blocks: boolean;
}

export async function rowReferences(
	db: Kysely<Database>,
	resource: AnyResource,
	resources: Resources,
	id: string
): Promise<RowReference[]> {
	const found: RowReference[] = [];
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
