// The audit trail's writer. Written with the same `db` (transaction) as the change it records, so
// a row exists exactly when the change does. Never holds a secret. It lives with the database
// layer because auth (a token's first use) and the services both write rows, and auth must not
// import a service; reading the trail is services/audit.ts.
import type { Kysely } from 'kysely';
import { newId } from '../ids';
import type { Database } from './schema';

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
