// The kinds of audit events: one list, read by the AuditEvent type, the audit.list input schema
// and the audit page's filter. Outside `server/` because the schemas (shared with the browser)
// read it too.

/** Every event the audit log records, in the order the filter offers them. */
export const AUDIT_EVENTS = [
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
	'backup_token.minted',
	'backup_token.used',
	'backup_token.revoked',
	'device.remembered',
	'device.forgotten',
	'webauthn.added',
	'webauthn.renamed',
	'webauthn.removed',
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
	'totp.added',
	'totp.removed',
	'factors.reset',
	'api_token.created',
	'api_token.first_used',
	'api_token.revoked',
	'setup.completed',
	'record.created',
	'record.updated',
	'record.deleted',
	'record.action'
] as const;

export type AuditEvent = (typeof AUDIT_EVENTS)[number];
