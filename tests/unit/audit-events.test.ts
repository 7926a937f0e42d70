// The kinds of audit events are one `as const` list: the AuditEvent type, the audit.list input
// schema and the audit.events answer are all read from it.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { AUDIT_EVENTS, type AuditEvent } from '$lib/audit-events';
import { auditListSchema } from '$lib/schemas/users';
import * as audit from '$lib/server/services/audit';

describe('audit events come from one list', () => {
	it('the service writes and lists the same list, not a copy', () => {
		expect(audit.AUDIT_EVENTS).toBe(AUDIT_EVENTS);
		expectTypeOf<audit.AuditEvent>().toEqualTypeOf<AuditEvent>();
		expectTypeOf<AuditEvent>().toEqualTypeOf<(typeof AUDIT_EVENTS)[number]>();
	});

	it('has the email-change events (requested, confirmed, cancelled, reported)', () => {
		expect(AUDIT_EVENTS).toEqual(
			expect.arrayContaining([
				'email_change.requested',
				'email_change.confirmed',
				'email_change.cancelled',
				'email_change.reported'
			])
		);
	});

	it('names each event once', () => {
		expect(new Set(AUDIT_EVENTS).size).toBe(AUDIT_EVENTS.length);
	});

	it('the audit.list filter accepts exactly the events of the list', () => {
		expect(auditListSchema.shape.event.unwrap().options).toEqual(AUDIT_EVENTS);
		for (const event of AUDIT_EVENTS) {
			expect(auditListSchema.safeParse({ event }).success, event).toBe(true);
		}
		const unknown = auditListSchema.safeParse({ event: 'no.such.event' });
		expect(unknown.error?.issues.map((issue) => issue.message)).toEqual(['Unknown event']);
	});
});

describe('password resets are audited with events of the list', () => {
	it('a request, a reset and a wrong factor on a reset each have their event', () => {
		for (const event of ['password.reset_requested', 'password.reset', 'password.reset_failed']) {
			expect(AUDIT_EVENTS).toContain(event);
		}
	});
});
