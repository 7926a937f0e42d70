// Table types for Kysely. One representation works on both dialects (see migrations/README.md):
// ids are random strings, timestamps are integer Unix milliseconds (UTC), flags are 0/1.
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { Role } from '../../permissions';

/** Unix time in milliseconds, stored as BIGINT. */
export type Millis = number;
/** 0 or 1; neither SQLite nor MySQL has a portable boolean. */
export type Flag = 0 | 1;

export interface UsersTable {
	id: string;
	username: string;
	email: string | null;
	password_hash: string;
	role: Role;
	is_active: Generated<Flag>;
	created_at: ColumnType<Millis, Millis, never>;
	updated_at: Millis;
	/** Consecutive second-step failures; reset by a verified code. */
	otp_failures: Generated<number>;
	/** No second-step try before this time (exponential backoff). */
	otp_blocked_until: Millis | null;
	/** Set after too many failures; only an admin clears it. */
	locked_at: Millis | null;
	/** Separate address for codes (else `email`), set only once a code sent to it came back. */
	otp_email: string | null;
	/** When the address codes go to was last proven by a verified code. */
	otp_email_confirmed_at: Millis | null;
	/** The factor last used to finish a sign-in (listed first next time); null: default order. */
	preferred_factor: Generated<string | null>;
}

export interface SessionsTable {
	/** SHA-256 (hex) of the session token; the token itself is never stored. */
	id: string;
	/** Non-secret id for lists of sessions shown to people. */
	public_id: string;
	user_id: string;
	state: 'pending_otp' | 'verified';
	expires_at: Millis;
	created_at: ColumnType<Millis, Millis, never>;
	ip: string | null;
	user_agent: string | null;
	/** Last emailed code verified in this session (sign-in or step-up). */
	verified_at: Millis | null;
	/** Last request, written at most once a minute. */
	last_seen_at: Millis | null;
	/** Verified sessions: the id (hash) of the pending session promoted into this one. */
	promoted_from: string | null;
	/**
	 * 1: the person's role must have an authenticator app or a security key (FACTOR_POLICY) and
	 * they had none at promotion; the session may only set one up until they do.
	 */
	enrolment_required: Generated<Flag>;
	/**
	 * Tries spent on factors that outlive the session (an authenticator's code, a backup token, a
	 * security key; an emailed code counts its own, email_otps.attempts): reserved before a try
	 * counts, at most `maxAttemptsPerCode`, then the session ends (auth/session-tries.ts). A
	 * step-up that succeeds clears it.
	 */
	factor_attempts: Generated<number>;
}

export interface OtpEmailChangesTable {
	user_id: string;
	email: string;
	code_hash: string;
	attempts: Generated<number>;
	expires_at: Millis;
	created_at: Millis;
}

export interface EmailOtpsTable {
	session_id: string;
	user_id: string;
	code_hash: string;
	attempts: Generated<number>;
	expires_at: Millis;
	created_at: Millis;
}

export interface BackupTokensTable {
	id: string;
	user_id: string;
	token_hash: string;
	created_at: Millis;
}

/**
 * What a mailed single-use link lets its holder do. `email_undo` is the "this wasn't me" link
 * mailed to the old address when an email change is asked for.
 */
export type AccountLinkPurpose = 'invite' | 'reset' | 'email' | 'email_undo';

/** A single-use link mailed to a person; only a keyed hash of its token is stored. */
export interface AccountLinksTable {
	id: string;
	purpose: AccountLinkPurpose;
	user_id: string;
	/** Where the link went; for an email change, the new address it proves. */
	email: string;
	token_hash: string;
	/** The admin who asked for it; null when the person asked themselves. */
	created_by: string | null;
	created_at: ColumnType<Millis, Millis, never>;
	expires_at: Millis;
	/** Set once, when the link is spent or revoked. */
	used_at: Millis | null;
}

/** "Don't ask again on this device": a browser that skips the second step until `expires_at`. */
export interface RememberedDevicesTable {
	id: string;
	/** Non-secret id for lists shown to people. */
	public_id: string;
	user_id: string;
	/** Keyed hash of the device token; the token itself is only in the browser's cookie. */
	token_hash: string;
	user_agent: string | null;
	ip: string | null;
	created_at: ColumnType<Millis, Millis, never>;
	last_used_at: Millis | null;
	expires_at: Millis;
}

export interface TotpFactorsTable {
	id: string;
	user_id: string;
	/** The secret, sealed with AES-256-GCM (auth/secret-box.ts); never stored in the clear. */
	secret_box: string;
	created_at: Millis;
	/** Null while the enrolment waits for its first good code. */
	confirmed_at: Millis | null;
	/** The last time step accepted (sign-in, step-up or confirmation); each is accepted once. */
	last_step: number | null;
}

export interface RateLimitsTable {
	bucket: string;
	window_start: Millis;
	hits: number;
}

export interface SetupTokensTable {
	token_hash: string;
	expires_at: Millis;
}

export interface AuditLogTable {
	/** Insertion order (auto-increment): breaks ties between rows of the same millisecond. */
	seq: Generated<number>;
	id: string;
	event: string;
	actor_id: string | null;
	subject_id: string | null;
	/** The resource a `record.*` row is about; null when the subject is a user. */
	subject_type: string | null;
	ip: string | null;
	user_agent: string | null;
	details: string | null;
	/** JSON of `record.*` events: `{ field: { from, to } }`, never a secret field's values. */
	changes: string | null;
	created_at: Millis;
}

export interface MailOutboxTable {
	id: string;
	recipient: string;
	subject: string;
	text_body: string;
	html_body: string;
	created_at: Millis;
}

export type MailQueueStatus = 'pending' | 'sent' | 'failed';

/** Mail waiting to be sent (or sent, or given up on): see mail/queue.ts. */
export interface MailQueueTable {
	id: string;
	recipient: string;
	subject: string;
	/** Blanked once the row is sent or failed: a body may hold a link. */
	text_body: string;
	html_body: string;
	status: MailQueueStatus;
	/** Tries so far, counted when a sender claims the row. */
	attempts: Generated<number>;
	created_at: ColumnType<Millis, Millis, never>;
	next_attempt_at: Millis;
	/** The sender working on the row, until `claim_until`; then anyone may claim it again. */
	claimed_by: string | null;
	claim_until: Millis | null;
	/** The transport's reason for the last failure; never a body. */
	last_error: string | null;
	sent_at: Millis | null;
	failed_at: Millis | null;
}

export interface ApiTokensTable {
	id: string;
	user_id: string;
	name: string;
	/** Non-secret start of the token, shown in lists so people can tell tokens apart. */
	prefix: string;
	/** SHA-256 (hex) of the whole token; the token itself is never stored. */
	token_hash: string;
	/** Comma-separated permission strings and shorthands (`read`, `read,write`, `users.read,...`). */
	scopes: string;
	/** Null: never expires. */
	expires_at: Millis | null;
	created_at: ColumnType<Millis, Millis, never>;
	/** Last request, written at most once a minute. */
	last_used_at: Millis | null;
	last_used_ip: string | null;
}

export interface WebauthnCredentialsTable {
	id: string;
	user_id: string;
	/** What the owner calls the key ("YubiKey on my keyring"). */
	name: string;
	/** The credential id, base64url (case-sensitive): what the browser is told to ask for. */
	credential_id: string;
	/** SHA-256 (hex) of the base64url credential id: lookups and uniqueness. */
	credential_id_hash: string;
	/** COSE public key, base64url. */
	public_key: string;
	/** Signature counter last seen; 0 when the authenticator keeps none. */
	counter: number;
	/** Comma-separated transports the browser reported at registration; may be empty. */
	transports: string;
	backup_eligible: Flag;
	/** Backed up by its provider, at its last use. */
	backed_up: Flag;
	/**
	 * Whether the key verified its user (PIN, biometrics) at its last use (registration, sign-in,
	 * step-up): what it did then, not WebAuthn's sticky uvInitialized ("ever did"). The migration
	 * that made the column says "ever"; shown to the owner only, never required.
	 */
	user_verified: Flag;
	created_at: ColumnType<Millis, Millis, never>;
	last_used_at: Millis | null;
}

export interface WebauthnChallengesTable {
	/** The session (its id, the token's hash) the challenge was issued to. */
	session_id: string;
	purpose: 'sign-in' | 'step-up' | 'register' | 'reset';
	user_id: string;
	/** SHA-256 (hex) of the base64url challenge. */
	challenge_hash: string;
	expires_at: Millis;
	created_at: Millis;
}

export interface Database {
	users: UsersTable;
	sessions: SessionsTable;
	email_otps: EmailOtpsTable;
	backup_tokens: BackupTokensTable;
	rate_limits: RateLimitsTable;
	setup_tokens: SetupTokensTable;
	audit_log: AuditLogTable;
	mail_outbox: MailOutboxTable;
	mail_queue: MailQueueTable;
	otp_email_changes: OtpEmailChangesTable;
	api_tokens: ApiTokensTable;
	remembered_devices: RememberedDevicesTable;
	totp_factors: TotpFactorsTable;
	webauthn_credentials: WebauthnCredentialsTable;
	webauthn_challenges: WebauthnChallengesTable;
	account_links: AccountLinksTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
