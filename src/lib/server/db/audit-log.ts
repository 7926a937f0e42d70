// The audit trail's writer. Written with the same `db` (transaction) as the change it records, so
// a row exists exactly when the change does. Never holds a secret. It lives with the database
// layer because auth (a token's first use) and the services both write rows, and auth must not
// import a service; reading the trail is services/audit.ts.
import type { Kysely } from 'kysely';
import { newId } from '../ids';
import type { AuditEvent } from '../../audit-events';
import type { Database } from './schema';

// The event vocabulary is one list outside `server/` (the input schemas read it too).
export { AUDIT_EVENTS, type AuditEvent } from '../../audit-events';

export interface AuditEntry {
	event: AuditEvent;
	actorId?: string | null;
	subjectId?: string | null;
	/** The resource a `record.*` event is about (its name); null: the subject is a user. */
	subjectType?: string | null;
	ip?: string | null;
	userAgent?: string | null;
	details?: string | null;
	/** `record.*` events: the fields written, `{ field: { from?, to? } }` (secrets: no values). */
	changes?: Record<string, { from?: unknown; to?: unknown }> | null;
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
			subject_type: entry.subjectType ?? null,
			ip: entry.ip ?? null,
			user_agent: entry.userAgent?.slice(0, 512) ?? null,
			details: entry.details?.slice(0, 1000) ?? null,
			changes: entry.changes ? JSON.stringify(entry.changes) : null,
			created_at: now
		})
		.execute();
}
