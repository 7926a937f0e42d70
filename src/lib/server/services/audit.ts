// The audit trail. Written with the same `db` (transaction) as the change it records, so a row
// exists exactly when the change does. Never holds a secret.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { newId } from '../ids';

export type AuditEvent =
	| 'login.succeeded'
	| 'login.failed'
	| 'otp.sent'
	| 'otp.send_failed'
	| 'otp.verified'
	| 'otp.failed'
	| 'step_up.verified'
	| 'step_up.failed'
	| 'account.locked'
	| 'account.unlocked'
	| 'static_token.minted'
	| 'static_token.used'
	| 'session.logout'
	| 'session.revoked'
	| 'user.created'
	| 'user.updated'
	| 'user.role_changed'
	| 'user.deactivated'
	| 'user.reactivated'
	| 'user.password_set'
	| 'user.deleted'
	| 'password.changed'
	| 'password.change_failed'
	| 'two_factor.email_requested'
	| 'two_factor.email_changed'
	| 'two_factor.email_cleared'
	| 'static_token.revoked'
	| 'api_token.created'
	| 'api_token.first_used'
	| 'api_token.revoked'
	| 'setup.completed';

export const AUDIT_EVENTS: readonly AuditEvent[] = [
	'login.succeeded',
	'login.failed',
	'otp.sent',
	'otp.send_failed',
	'otp.verified',
	'otp.failed',
	'step_up.verified',
	'step_up.failed',
	'account.locked',
	'account.unlocked',
	'static_token.minted',
	'static_token.used',
	'static_token.revoked',
	'session.logout',
	'session.revoked',
	'user.created',
	'user.updated',
	'user.role_changed',
	'user.deactivated',
	'user.reactivated',
	'user.password_set',
	'user.deleted',
	'password.changed',
	'password.change_failed',
	'two_factor.email_requested',
	'two_factor.email_changed',
	'two_factor.email_cleared',
	'api_token.created',
	'api_token.first_used',
	'api_token.revoked',
	'setup.completed'
];

export interface AuditEntry {
	event: AuditEvent;
	actorId?: string | null;
	subjectId?: string | null;
	ip?: string | null;
	userAgent?: string | null;
	details?: string | null;
}

export async function recordAudit(
	db: Kysely<Database>,
	entry: AuditEntry,
	now = Date.now()
): Promise<void> {
	await db
		.insertInto('audit_log')
		.values({
			id: newId(),
			event: entry.event,
			actor_id: entry.actorId ?? null,
			subject_id: entry.subjectId ?? null,
			ip: entry.ip ?? null,
			user_agent: entry.userAgent?.slice(0, 512) ?? null,
			details: entry.details?.slice(0, 1000) ?? null,
			created_at: now
		})
		.execute();
}

export interface AuditQuery {
	event?: AuditEvent;
	userId?: string;
	from?: Date;
	to?: Date;
	page: number;
	pageSize: number;
}

export interface AuditRow {
	id: string;
	event: string;
	actor: string | null;
	subject: string | null;
	subjectId: string | null;
	ip: string | null;
	userAgent: string | null;
	details: string | null;
	createdAt: Date;
}

/** Newest first, with the actor's and subject's usernames where they still exist. */
export async function listAudit(
	db: Kysely<Database>,
	query: AuditQuery
): Promise<{ entries: AuditRow[]; total: number }> {
	let filtered = db.selectFrom('audit_log');
	if (query.event) filtered = filtered.where('audit_log.event', '=', query.event);
	if (query.userId) {
		const userId = query.userId;
		filtered = filtered.where((eb) =>
			eb.or([eb('audit_log.subject_id', '=', userId), eb('audit_log.actor_id', '=', userId)])
		);
	}
	if (query.from) filtered = filtered.where('audit_log.created_at', '>=', query.from.getTime());
	if (query.to) filtered = filtered.where('audit_log.created_at', '<', query.to.getTime());
	const [rows, count] = await Promise.all([
		filtered
			.leftJoin('users as actor', 'actor.id', 'audit_log.actor_id')
			.leftJoin('users as subject', 'subject.id', 'audit_log.subject_id')
			.select([
				'audit_log.id',
				'audit_log.event',
				'actor.username as actor',
				'subject.username as subject',
				'audit_log.subject_id',
				'audit_log.ip',
				'audit_log.user_agent',
				'audit_log.details',
				'audit_log.created_at'
			])
			.orderBy('audit_log.created_at', 'desc')
			.orderBy('audit_log.id')
			.limit(query.pageSize)
			.offset((query.page - 1) * query.pageSize)
			.execute(),
		filtered.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow()
	]);
	return {
		entries: rows.map((row) => ({
			id: row.id,
			event: row.event,
			actor: row.actor,
			subject: row.subject,
			subjectId: row.subject_id,
			ip: row.ip,
			userAgent: row.user_agent,
			details: row.details,
			createdAt: new Date(Number(row.created_at))
		})),
		total: Number(count.total)
	};
}
