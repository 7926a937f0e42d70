// Auth's types. SessionUser, SessionInfo and ApiTokenInfo are what the session hook puts in
// `locals` and procedures read from `ctx`: never a hash or secret.
import type { Role } from '../../permissions';
export type SessionState = 'pending_otp' | 'verified';

export interface SessionUser {
	id: string;
	username: string;
	email: string | null;
	role: Role;
}

export interface SessionInfo {
	/** Public id, safe to show; the secret token never leaves the cookie or bearer header. */
	publicId: string;
	state: SessionState;
	/** Null only for a personal API token that never expires. */
	expiresAt: Date | null;
	/** Last code verified in this session: step-up needs a recent one. */
	verifiedAt: Date | null;
	/** Last request seen (updated at most once a minute). */
	lastSeenAt: Date | null;
	/**
	 * The role must have an authenticator app or a security key and the person had none when this
	 * session was promoted: it may only set one up (the tiers refuse the rest) until they do.
	 */
	enrolmentRequired: boolean;
}

/**
 * A sessions row as Lucia carries it (timestamps in ms). Internal to auth/: lucia.ts registers it
 * with Lucia and kysely-adapter.ts reads and writes it; here so neither imports the other for it.
 */
export interface SessionAttributes {
	publicId: string;
	state: SessionState;
	createdAt: number;
	ip: string | null;
	userAgent: string | null;
	verifiedAt: number | null;
	lastSeenAt: number | null;
	/** Written once, at promotion: the hash of the pending session this one replaced. */
	promotedFrom?: string | null;
	/** Set at promotion (FACTOR_POLICY), cleared when a required factor is set up. */
	enrolmentRequired: boolean;
}

/**
 * A permission string (`featureFlags.update`, `users.read`) or a shorthand: `read` (every
 * `*.read` permission) or `write` (every permission). See api-token-scopes.ts.
 */
export type ApiTokenScope = string;

/** A request authenticated by a personal API token: which one, and what it may do. */
export interface ApiTokenInfo {
	id: string;
	scopes: ApiTokenScope[];
}
