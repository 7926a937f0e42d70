// Sessions as the rest of the app sees them: tokens in, typed sessions out. Lucia does the
// bookkeeping behind `luciaFor`; nothing outside src/lib/server/auth/ knows it exists.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { affectedRows } from '../db/errors';
import { newId } from '../ids';
import { sha256Hex } from './crypto';
import { luciaFor } from './lucia';
import type { AuthPolicy } from './policy';
import { sessionExpiresAt } from './session-expiry';
import type { SessionInfo, SessionState, SessionUser } from './types';

type Lifetimes = AuthPolicy['session'];

/** Lucia's ids are 40 base32 characters; anything else is refused before touching the database. */
const TOKEN_PATTERN = /^[a-z2-7]{40}$/;

export interface ValidSession {
	user: SessionUser;
	session: SessionInfo;
	/** The expiry moved (sliding renewal): send the cookie again. */
	renewed: boolean;
}

export async function validateSessionToken(
	db: Kysely<Database>,
	token: string,
	lifetimes: Lifetimes
): Promise<ValidSession | null> {
	if (!TOKEN_PATTERN.test(token)) return null;
	const { session, user } = await luciaFor(db, lifetimes).validateSession(token);
	if (!session || !user) return null;
	// After a renewal Lucia reports its own sliding expiry; the absolute limit may come first.
	const expiresAt = sessionExpiresAt(lifetimes, session, session.expiresAt.getTime());
	return {
		user: { id: user.id, username: user.username, email: user.email, role: user.role },
		session: {
			publicId: session.publicId,
			state: session.state,
			expiresAt: new Date(expiresAt),
			verifiedAt: session.verifiedAt === null ? null : new Date(session.verifiedAt),
			lastSeenAt: session.lastSeenAt === null ? null : new Date(session.lastSeenAt),
			enrolmentRequired: session.enrolmentRequired
		},
		renewed: session.fresh && session.state === 'verified'
	};
}

export interface NewSession {
	token: string;
	/** SHA-256 of the token: the sessions table's key. */
	hash: string;
	publicId: string;
	expiresAt: Date;
}

export async function createSession(
	db: Kysely<Database>,
	lifetimes: Lifetimes,
	params: {
		userId: string;
		state: SessionState;
		ip: string | null;
		userAgent: string | null;
		/** The pending session's token, when this session replaces it (promotion). */
		promotedFrom?: string;
		/**
		 * A verified session that no code proved (a remembered device skipped the second step):
		 * it starts with no verified code, so its first sensitive change asks for one (step-up).
		 */
		withoutCode?: boolean;
		/** FACTOR_POLICY: the person must set up a required factor before anything else. */
		enrolmentRequired?: boolean;
	},
	now = Date.now()
): Promise<NewSession> {
	const publicId = newId();
	const session = await luciaFor(db, lifetimes).createSession(params.userId, {
		publicId,
		state: params.state,
		createdAt: now,
		ip: params.ip,
		userAgent: params.userAgent?.slice(0, 512) ?? null,
		// A verified session is born from a verified code, unless a remembered device stood in.
		verifiedAt: params.state === 'verified' && !params.withoutCode ? now : null,
		lastSeenAt: now,
		promotedFrom: params.promotedFrom === undefined ? null : sha256Hex(params.promotedFrom),
		enrolmentRequired: params.state === 'verified' && params.enrolmentRequired === true
	});
	const slidingExpiresAt = session.expiresAt.getTime();
	return {
		token: session.id,
		hash: sha256Hex(session.id),
		publicId,
		expiresAt: new Date(
			sessionExpiresAt(lifetimes, { state: params.state, createdAt: now }, slidingExpiresAt)
		)
	};
}

/** Deletes the pending session being promoted: true for exactly one concurrent caller. */
export async function deletePendingSession(db: Kysely<Database>, token: string): Promise<boolean> {
	const result = await db
		.deleteFrom('sessions')
		.where('id', '=', sha256Hex(token))
		.where('state', '=', 'pending_otp')
		.executeTakeFirst();
	return affectedRows(result) === 1;
}

export async function invalidateSession(
	db: Kysely<Database>,
	token: string,
	lifetimes: Lifetimes
): Promise<void> {
	await luciaFor(db, lifetimes).invalidateSession(token);
}

/** Records activity at most once a minute per session: most requests write nothing. */
export async function touchSession(
	db: Kysely<Database>,
	token: string,
	lastSeenAt: Date | null,
	now = Date.now()
): Promise<void> {
	if (lastSeenAt && now - lastSeenAt.getTime() < TOUCH_INTERVAL_MS) return;
	await db
		.updateTable('sessions')
		.set({ last_seen_at: now })
		.where('id', '=', sha256Hex(token))
		.execute();
}

const TOUCH_INTERVAL_MS = 60_000;

/** When the session was created (ms), or null when there is no such session. */
export async function sessionCreatedAt(
	db: Kysely<Database>,
	token: string
): Promise<number | null> {
	const row = await db
		.selectFrom('sessions')
		.select('created_at')
		.where('id', '=', sha256Hex(token))
		.executeTakeFirst();
	return row ? Number(row.created_at) : null;
}

/**
 * A fresh code was verified in this session (step-up): the session proved itself, so its count of
 * tries with other factors (session-tries.ts) starts again. False when there is no such session.
 */
export async function markSessionVerified(
	db: Kysely<Database>,
	token: string,
	now = Date.now()
): Promise<boolean> {
	const result = await db
		.updateTable('sessions')
		.set({ verified_at: now, factor_attempts: 0 })
		.where('id', '=', sha256Hex(token))
		.executeTakeFirst();
	return affectedRows(result) === 1;
}
