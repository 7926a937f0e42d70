// A row's change history, read from the audit trail (written in the same transaction as each
// change): who changed which fields, from what to what, and when. And the choices a reference
// field offers, searched on the target's own search columns, a few at a time.
import { REFERENCE_OPTIONS } from '../../resources/list-query';
import type { ServiceDeps } from '../services/deps';
import { fieldOf, type AnyResource } from './define';
import { everyWordIn } from './list';
import { tablesOf } from './rows';
import { referenceTarget } from './targets';
import type { ReferenceValue } from './fields';

export interface HistoryEntry {
	id: string;
	event: string;
	/** The action's name for `record.action`. */
	action: string | null;
	actor: string | null;
	actorId: string | null;
	changes: Record<string, { from?: unknown; to?: unknown }>;
	createdAt: Date;
}

const HISTORY_PAGE = 50;

/** Newest first, 50 a page, with the actor's username where the account still exists. */
export async function listHistory(
	deps: ServiceDeps,
	resource: AnyResource,
	id: string,
	page: number
): Promise<{ entries: HistoryEntry[]; total: number; pageSize: number }> {
	const base = deps.db
		.selectFrom('audit_log')
		.where('audit_log.subject_type', '=', resource.name)
		.where('audit_log.subject_id', '=', id);
	const [rows, count] = await Promise.all([
		base
			.leftJoin('users', 'users.id', 'audit_log.actor_id')
			.select([
				'audit_log.id',
				'audit_log.event',
				'audit_log.details',
				'audit_log.actor_id',
				'users.username as actor',
				'audit_log.changes',
				'audit_log.created_at'
			])
			.orderBy('audit_log.created_at', 'desc')
			.orderBy('audit_log.seq', 'desc')
			.limit(HISTORY_PAGE)
			.offset((page - 1) * HISTORY_PAGE)
			.execute(),
		base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow()
	]);
	return {
		entries: rows.map((row) => ({
			id: row.id,
			event: row.event,
			action: row.event === 'record.action' ? row.details : null,
			actor: row.actor,
			actorId: row.actor_id,
			changes: row.changes ? (JSON.parse(row.changes) as HistoryEntry['changes']) : {},
			createdAt: new Date(Number(row.created_at))
		})),
		total: Number(count.total),
		pageSize: HISTORY_PAGE
	};
}

/**
 * Up to REFERENCE_OPTIONS rows a reference field may point at, whose title or search columns contain every word
 * of `search`, by title. Never a list of the whole table.
 */
export async function referenceOptions(
	deps: ServiceDeps,
	resource: AnyResource,
	resources: Record<string, AnyResource>,
	field: string,
	search: string
): Promise<ReferenceValue[]> {
	const target = referenceTarget(fieldOf(resource, field).target!, resources);
	const columns = [...new Set([target.titleColumn, ...target.searchColumns])];
	const select = everyWordIn(tablesOf(deps.db).selectFrom(target.table), columns, search);
	const rows = await select
		.select(['id', `${target.titleColumn} as title`])
		.orderBy(target.titleColumn)
		.orderBy('id')
		.limit(REFERENCE_OPTIONS)
		.execute();
	return rows.map((row) => ({ id: row.id as string, title: String(row.title) }));
}
