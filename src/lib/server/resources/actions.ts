// A definition's actions on one row or many, and bulk delete. All rows of one request change in
// one transaction or none do: each must still be at the version the caller saw, and each write is
// conditional on it, so a bulk action over a page someone else just edited changes nothing and
// answers with the row that moved on.
import type { Kysely } from 'kysely';
import { recordAudit } from '../db/audit-log';
import { affectedRows } from '../db/errors';
import type { Database } from '../db/schema';
import { decidingTransaction } from '../db/transaction';
import { StaleEditError } from '../errors';
import type { Actor } from '../services/actor';
import type { ServiceDeps } from '../services/deps';
import type { AnyResource, RowVersion } from './define';
import { tablesOf, type ApiRow } from './rows';
import { removeRow } from './delete';
import { rowAtVersion } from './reading';
import type { Changes } from './values';
import { writeRow } from './write';

type Resources = Record<string, AnyResource>;

/**
 * Runs `action` (a definition's action, or 'delete') on every row in `targets`; returns how many
 * rows it touched.
 */
export async function runAction(
	deps: ServiceDeps,
	resource: AnyResource,
	resources: Resources,
	actor: Actor,
	action: string,
	targets: RowVersion[]
): Promise<{ count: number }> {
	const now = deps.clock.now();
	const unique = [...new Map(targets.map((target) => [target.id, target])).values()];
	await decidingTransaction(deps.db, async (trx) => {
		const rows: ApiRow[] = [];
		// A custom action receives whole rows (references with their titles); the rest needs ids.
		const titles = action !== 'delete' && Boolean(resource.actions[action]?.run);
		for (const target of unique) {
			rows.push(await rowAtVersion(trx, resource, resources, target, { titles }));
		}
		const audit = (
			subjectId: string,
			event: 'record.deleted' | 'record.action',
			changes: Changes
		) =>
			recordAudit(
				trx,
				{
					event,
					actorId: actor.actorId,
					ip: actor.ip,
					userAgent: actor.userAgent,
					subjectType: resource.name,
					subjectId,
					details: event === 'record.action' ? action : null,
					changes
				},
				now
			);
		if (action === 'delete') {
			for (const row of rows)
				await audit(row.id, 'record.deleted', await removeRow(trx, resource, resources, row));
			return;
		}
		const definition = resource.actions[action];
		if (!definition) throw new Error(`Resource ${resource.name} has no action ${action}`);
		if (definition.set) {
			for (const row of rows) {
				const changes = await writeRow(trx, resource, resources, row, definition.set, now);
				await audit(row.id, 'record.action', changes);
			}
			return;
		}
		await definition.run!({ ...deps, db: trx }, rows as never, actor);
		for (const row of rows) {
			await bumpVersion(trx, resource, resources, row, now);
			await audit(row.id, 'record.action', {});
		}
	});
	return { count: unique.length };
}

/** After a custom action: the row's version moves on, so edits opened before it are stale. */
async function bumpVersion(
	trx: Kysely<Database>,
	resource: AnyResource,
	resources: Resources,
	row: ApiRow,
	now: number
): Promise<void> {
	const result = await tablesOf(trx)
		.updateTable(resource.table)
		.set({ version: row.version + 1, updated_at: now })
		.where('id', '=', row.id)
		.where('version', '=', row.version)
		.executeTakeFirst();
	if (affectedRows(result) !== 1) throw new StaleEditError(null);
}
