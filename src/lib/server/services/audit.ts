// Reading the audit trail: filtered, paged listings for people. Rows are written by
// db/audit-log.ts, in the same transaction as the change they record. A row is about a user
// (`subject_type` null) or about a resource's row (`subject_type` names the resource): users'
// names come from a join, rows' titles from one query per resource on the page. Which table and
// column hold a resource's titles is the caller's to say (AuditSubjectTypes, built from the
// registry by the tRPC layer): services do not read the resource definitions.
import type { AliasableExpression, Kysely, SelectQueryBuilder } from 'kysely';
import type { AuditEvent } from '../db/audit-log';
import type { Database } from '../db/schema';
import {
	rowTitles,
	subjectResource,
	type AuditSubjectResource,
	type AuditSubjectTypes
} from './audit-subjects';
import type { ServiceDeps } from './deps';

// The event vocabulary, for procedures and pages that filter by it (they do not reach into db/).
// The subject types, for the tRPC layer that builds them from the registry.
export type { AuditSubjectTypes } from './audit-subjects';
export { AUDIT_EVENTS, type AuditEvent } from '../db/audit-log';

/** What a listing filters on; every filter is optional. */
export interface AuditFilter {
	event?: AuditEvent;
	/** Rows about this user (subject) or by them (actor). */
	userId?: string;
	/** Rows about rows of this resource (its name). */
	resource?: string;
	from?: Date;
	to?: Date;
}

export interface AuditQuery extends AuditFilter {
	page: number;
	pageSize: number;
}

export interface AuditRow {
	id: string;
	event: string;
	actor: string | null;
	actorId: string | null;
	/** The user's username, or the row's title; null when it no longer exists. */
	subject: string | null;
	subjectId: string | null;
	/** Set when the subject is a resource's row, not a user. */
	subjectResource: AuditSubjectResource | null;
	ip: string | null;
	userAgent: string | null;
	details: string | null;
	createdAt: Date;
}

export interface AuditPage {
	entries: AuditRow[];
	/** Matching rows, counted up to AUDIT_COUNT_CAP past the page's first row. */
	total: number;
	/** There are more than `total` matching rows: counting stopped at the cap. */
	totalCapped: boolean;
}

/**
 * How many rows past a page's start a listing counts. A count walks every matching index entry
 * (InnoDB keeps no row count): the exact total of a million rows took MariaDB 100 ms, twenty times
 * the page itself, and tells nobody anything a filter would not tell them better.
 */
export const AUDIT_COUNT_CAP = 10_000;

/** Newest first, with the actor's and subject's usernames where they still exist. */
export async function listAudit(
	deps: ServiceDeps,
	query: AuditQuery,
	subjects: AuditSubjectTypes
): Promise<AuditPage> {
	const { db } = deps;
	const offset = (query.page - 1) * query.pageSize;
	const [entries, counted] = await Promise.all([
		readPage(db, subjects, query, query.pageSize, offset),
		countMatches(db, query, offset + AUDIT_COUNT_CAP + 1)
	]);
	const totalCapped = counted > offset + AUDIT_COUNT_CAP;
	return { entries, total: totalCapped ? offset + AUDIT_COUNT_CAP : counted, totalCapped };
}

/** The newest rows of the whole log (the dashboard's list), without counting anything. */
export function listRecentAudit(
	deps: ServiceDeps,
	limit: number,
	subjects: AuditSubjectTypes
): Promise<AuditRow[]> {
	const { db } = deps;
	return readPage(db, subjects, {}, limit, 0);
}

/** Where a row sits in the listing order: time, then the order rows were written in. */
interface OrderKey {
	seq: number;
	created_at: number;
}

async function readPage(
	db: Kysely<Database>,
	subjects: AuditSubjectTypes,
	filter: AuditFilter,
	limit: number,
	offset: number
): Promise<AuditRow[]> {
	// The page's keys come from an index alone; only its rows are then read and joined.
	const rows = await db
		.selectFrom(newestMatches(db, filter, limit, offset).as('page'))
		.innerJoin('audit_log', 'audit_log.seq', 'page.seq')
		.leftJoin('users as actor', 'actor.id', 'audit_log.actor_id')
		.leftJoin('users as subject', (join) =>
			join.onRef('subject.id', '=', 'audit_log.subject_id').on('audit_log.subject_type', 'is', null)
		)
		.select([
			'audit_log.id',
			'audit_log.event',
			'actor.username as actor',
			'audit_log.actor_id',
			'subject.username as subject',
			'audit_log.subject_id',
			'audit_log.subject_type',
			'audit_log.ip',
			'audit_log.user_agent',
			'audit_log.details',
			'audit_log.created_at'
		])
		.orderBy('page.created_at', 'desc')
		.orderBy('page.seq', 'desc')
		.execute();
	const titles = await rowTitles(db, subjects, rows);
	return rows.map((row) => ({
		id: row.id,
		event: row.event,
		actor: row.actor,
		actorId: row.actor_id,
		subject: row.subject_type
			? (titles.get(`${row.subject_type}:${row.subject_id}`) ?? null)
			: row.subject,
		subjectId: row.subject_id,
		subjectResource: row.subject_type ? subjectResource(subjects, row.subject_type) : null,
		ip: row.ip,
		userAgent: row.user_agent,
		details: row.details,
		createdAt: new Date(Number(row.created_at))
	}));
}

/** How many rows match, up to `limit`: the page's own index walk, stopped at the limit. */
async function countMatches(
	db: Kysely<Database>,
	filter: AuditFilter,
	limit: number
): Promise<number> {
	const { total } = await db
		.selectFrom(newestMatches(db, filter, limit, 0).as('counted'))
		.select((eb) => eb.fn.countAll<number>().as('total'))
		.executeTakeFirstOrThrow();
	return Number(total);
}

/**
 * The keys of the matching rows, newest first, `limit` of them after skipping `offset`. Each
 * filter has an index that ends in (created_at, seq), so the rows come out of it in order and the
 * walk stops at the limit. "This user as subject or as actor" is two such walks merged by a
 * UNION: given an OR, SQLite (multi-index OR) and MariaDB (index_merge) fetch and sort every row
 * of the user before taking a page, 0.1 s and 2 s for an admin who acted 75,000 times.
 */
function newestMatches(
	db: Kysely<Database>,
	filter: AuditFilter,
	limit: number,
	offset: number
): AliasableExpression<OrderKey> {
	const { userId } = filter;
	if (userId === undefined) return newestFirst(filtered(db, filter)).limit(limit).offset(offset);
	// Each side contributes at most what the page could need from it.
	const side = (column: 'audit_log.subject_id' | 'audit_log.actor_id') =>
		db
			.selectFrom(
				newestFirst(filtered(db, filter).where(column, '=', userId))
					.limit(offset + limit)
					.as('side')
			)
			.select(['side.seq', 'side.created_at']);
	return db
		.selectFrom(side('audit_log.subject_id').union(side('audit_log.actor_id')).as('matches'))
		.select(['matches.seq', 'matches.created_at'])
		.orderBy('matches.created_at', 'desc')
		.orderBy('matches.seq', 'desc')
		.limit(limit)
		.offset(offset);
}

/** The log narrowed by every filter but the user. */
function filtered(
	db: Kysely<Database>,
	filter: AuditFilter
): SelectQueryBuilder<Database, 'audit_log', object> {
	let query = db.selectFrom('audit_log');
	if (filter.event) query = query.where('audit_log.event', '=', filter.event);
	if (filter.resource) query = query.where('audit_log.subject_type', '=', filter.resource);
	if (filter.from) query = query.where('audit_log.created_at', '>=', filter.from.getTime());
	if (filter.to) query = query.where('audit_log.created_at', '<', filter.to.getTime());
	return query;
}

function newestFirst(
	query: SelectQueryBuilder<Database, 'audit_log', object>
): SelectQueryBuilder<Database, 'audit_log', OrderKey> {
	return query
		.select(['audit_log.seq', 'audit_log.created_at'])
		.orderBy('audit_log.created_at', 'desc')
		.orderBy('audit_log.seq', 'desc');
}
