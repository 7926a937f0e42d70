// Sessions as people see them: by public id, never by token.
import { affectedRows } from '../db/errors';
import { sha256Hex } from '../auth/crypto';
import { recordAudit } from '../db/audit-log';
import { NotFoundError } from '../errors';
import type { Actor } from './actor';
import type { ServiceDeps } from './deps';
import { decidingTransaction } from '../db/transaction';

export interface SessionListEntry {
	publicId: string;
	userId: string;
	username: string;
	state: 'pending_otp' | 'verified';
	createdAt: Date;
	lastSeenAt: Date | null;
	expiresAt: Date;
	ip: string | null;
	userAgent: string | null;
}

export interface SessionListQuery {
	/** One user's sessions; absent: everyone's. */
	userId?: string;
	page: number;
	pageSize: number;
}

export interface SessionPage {
	sessions: SessionListEntry[];
	/** Live sessions matching the query, on every page. */
	total: number;
	/** How many people those sessions belong to. */
	userCount: number;
}

/**
 * One page of live sessions, newest first; all users' (admin) or one user's. Paged, never cut
 * off: a busy instance holds more live sessions than any one page should carry.
 */
export async function listSessions(
	deps: ServiceDeps,
	query: SessionListQuery
): Promise<SessionPage> {
	const { db } = deps;
	let live = db.selectFrom('sessions').where('sessions.expires_at', '>', deps.clock.now());
	if (query.userId) live = live.where('sessions.user_id', '=', query.userId);
	const [rows, counts] = await Promise.all([
		live
			.innerJoin('users', 'users.id', 'sessions.user_id')
			.select([
				'sessions.public_id',
				'sessions.user_id',
				'users.username',
				'sessions.state',
				'sessions.created_at',
				'sessions.last_seen_at',
				'sessions.expires_at',
				'sessions.ip',
				'sessions.user_agent'
			])
			.orderBy('sessions.created_at', 'desc')
			// Sessions created in the same millisecond keep one order from page to page.
			.orderBy('sessions.public_id')
			.limit(query.pageSize)
			.offset((query.page - 1) * query.pageSize)
			.execute(),
		live
			.select((eb) => [
				eb.fn.countAll<number>().as('total'),
				eb.fn.count<number>('sessions.user_id').distinct().as('users')
			])
			.executeTakeFirstOrThrow()
	]);
	return {
		sessions: rows.map((row) => ({
			publicId: row.public_id,
			userId: row.user_id,
			username: row.username,
			state: row.state,
			createdAt: new Date(Number(row.created_at)),
			lastSeenAt: row.last_seen_at === null ? null : new Date(Number(row.last_seen_at)),
			expiresAt: new Date(Number(row.expires_at)),
			ip: row.ip,
			userAgent: row.user_agent
		})),
		total: Number(counts.total),
		userCount: Number(counts.users)
	};
}

/** Ends one session; `ownerId` restricts it to that user's sessions (members). */
export async function revokeSession(
	deps: ServiceDeps,
	actor: Actor,
	publicId: string,
	ownerId: string | null
): Promise<void> {
	const { db } = deps;
	const now = deps.clock.now();
	await decidingTransaction(db, async (trx) => {
		const row = await trx
			.selectFrom('sessions')
			.select('user_id')
			.where('public_id', '=', publicId)
			.executeTakeFirst();
		if (!row || (ownerId !== null && row.user_id !== ownerId))
			throw new NotFoundError('No such session');
		const result = await trx
			.deleteFrom('sessions')
			.where('public_id', '=', publicId)
			.executeTakeFirst();
		if (affectedRows(result) !== 1) throw new NotFoundError('No such session');
		await recordAudit(trx, { event: 'session.revoked', subjectId: row.user_id, ...actor }, now);
	});
}

/** Ends every session of the actor but the current one. Returns how many ended. */
export async function revokeOtherSessions(
	deps: ServiceDeps,
	actor: Actor,
	currentToken: string
): Promise<number> {
	const { db } = deps;
	const now = deps.clock.now();
	return decidingTransaction(db, async (trx) => {
		const result = await trx
			.deleteFrom('sessions')
			.where('user_id', '=', actor.actorId)
			.where('id', '!=', sha256Hex(currentToken))
			.executeTakeFirst();
		const ended = affectedRows(result);
		if (ended > 0) {
			await recordAudit(
				trx,
				{
					event: 'session.revoked',
					subjectId: actor.actorId,
					details: `others=${ended}`,
					...actor
				},
				now
			);
		}
		return ended;
	});
}
