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
	| 'account.locked'
	| 'account.unlocked'
	| 'static_token.minted'
	| 'static_token.used'
	| 'session.logout'
	| 'session.revoked'
	| 'user.created'
	| 'setup.completed';

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
