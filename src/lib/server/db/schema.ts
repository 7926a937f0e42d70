// Table types for Kysely. One representation works on both dialects (see migrations/README.md):
// ids are random strings, timestamps are integer Unix milliseconds (UTC), flags are 0/1.
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Unix time in milliseconds, stored as BIGINT. */
export type Millis = number;
/** 0 or 1; neither SQLite nor MySQL has a portable boolean. */
export type Flag = 0 | 1;

export interface UsersTable {
	id: string;
	username: string;
	email: string | null;
	password_hash: string;
	role: 'admin' | 'member';
	is_active: Generated<Flag>;
	created_at: ColumnType<Millis, Millis, never>;
	updated_at: Millis;
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
}

export interface Database {
	users: UsersTable;
	sessions: SessionsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
