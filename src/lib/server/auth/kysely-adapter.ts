// Lucia v3 has no Kysely adapter; this one serves SQLite and MySQL alike. Lucia hands it raw
// session ids: only their SHA-256 reaches the database, so a leaked table holds no usable id.
import type { Adapter, DatabaseSession, DatabaseUser } from 'lucia';
import { sql, type CompiledQuery, type InferResult, type Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { affectedRows } from '../db/errors';
import { sha256Hex } from './crypto';
import type { AuthPolicy } from './policy';
import { sessionExpiresAt } from './session-expiry';
import type { SessionAttributes } from './types';

type Lifetimes = AuthPolicy['session'];

/** The session (by the hash of its id) joined to its active user; the hash is bound later. */
function sessionQuery(db: Kysely<Database>) {
	return (
		db
			.selectFrom('sessions')
			.innerJoin('users', 'users.id', 'sessions.user_id')
			.select([
				'sessions.public_id',
				'sessions.user_id',
				'sessions.state',
				'sessions.expires_at',
				'sessions.created_at',
				'sessions.ip',
				'sessions.user_agent',
				'sessions.verified_at',
				'sessions.last_seen_at',
				'sessions.enrolment_required',
				'users.username',
				'users.email',
				'users.role'
			])
			// `in (?)`, not `= ?`: SQLite (3.54) plans a join again on every run when a bare parameter is
			// compared with `=`, because it reads the bound value; that tripled the cost of every
			// request's session check. A one-element IN is the same primary-key lookup on both
			// databases, and SQLite plans it once.
			.where('sessions.id', 'in', [''])
			.where('users.is_active', '=', sql.lit(1))
	);
}

type SessionRow = InferResult<ReturnType<typeof sessionQuery>>[number];

/** A sessions row as Lucia's attributes (timestamps as numbers, whichever driver read them). */
function attributesOf(
	row: Pick<
		SessionRow,
		| 'public_id'
		| 'state'
		| 'created_at'
		| 'ip'
		| 'user_agent'
		| 'verified_at'
		| 'last_seen_at'
		| 'enrolment_required'
	>
): SessionAttributes {
	return {
		publicId: row.public_id,
		state: row.state,
		createdAt: Number(row.created_at),
		ip: row.ip,
		userAgent: row.user_agent,
		verifiedAt: row.verified_at === null ? null : Number(row.verified_at),
		lastSeenAt: row.last_seen_at === null ? null : Number(row.last_seen_at),
		enrolmentRequired: Number(row.enrolment_required) === 1
	};
}

export class KyselyAdapter implements Adapter {
	constructor(
		private readonly db: Kysely<Database>,
		private readonly lifetimes: Lifetimes
	) {}

	/** One indexed query: the session joined to its (active) user, explicit columns only. */
	async getSessionAndUser(
		sessionId: string
	): Promise<[DatabaseSession | null, DatabaseUser | null]> {
		// Runs on every request: the SQL is built and compiled once per adapter, then only the
		// hash changes (it is the query's first and only parameter).
		this.sessionQuery ??= sessionQuery(this.db).compile();
		const { rows } = await this.db.executeQuery<SessionRow>({
			...this.sessionQuery,
			parameters: [sha256Hex(sessionId)]
		});
		const row = rows[0];
		if (!row) return [null, null];
		const attributes = attributesOf(row);
		const session: DatabaseSession = {
			id: sessionId,
			userId: row.user_id,
			expiresAt: new Date(sessionExpiresAt(this.lifetimes, attributes, Number(row.expires_at))),
			attributes
		};
		const user: DatabaseUser = {
			id: row.user_id,
			attributes: { username: row.username, email: row.email, role: row.role }
		};
		return [session, user];
	}

	private sessionQuery: CompiledQuery<SessionRow> | undefined;

	async getUserSessions(userId: string): Promise<DatabaseSession[]> {
		const rows = await this.db
			.selectFrom('sessions')
			.select([
				'public_id',
				'state',
				'expires_at',
				'created_at',
				'ip',
				'user_agent',
				'verified_at',
				'last_seen_at',
				'enrolment_required'
			])
			.where('user_id', '=', userId)
			.execute();
		// Lucia's session id is secret and not stored; lists identify sessions by public id.
		return rows.map((row) => {
			const attributes = attributesOf(row);
			return {
				id: row.public_id,
				userId,
				expiresAt: new Date(sessionExpiresAt(this.lifetimes, attributes, Number(row.expires_at))),
				attributes
			};
		});
	}

	async setSession(session: DatabaseSession): Promise<void> {
		const { attributes } = session;
		await this.db
			.insertInto('sessions')
			.values({
				id: sha256Hex(session.id),
				public_id: attributes.publicId,
				user_id: session.userId,
				state: attributes.state,
				expires_at: sessionExpiresAt(this.lifetimes, attributes, session.expiresAt.getTime()),
				created_at: attributes.createdAt,
				ip: attributes.ip,
				user_agent: attributes.userAgent,
				verified_at: attributes.verifiedAt,
				last_seen_at: attributes.lastSeenAt,
				promoted_from: attributes.promotedFrom ?? null,
				enrolment_required: attributes.enrolmentRequired ? 1 : 0
			})
			.execute();
	}

	/**
	 * Lucia's sliding renewal. Only verified sessions slide, and never past their absolute
	 * lifetime; a pending session keeps the expiry it was created with. The limit needs the row's
	 * creation time, which Lucia does not pass, so it is read first; a renewal that would not move
	 * the expiry (a session at its absolute limit) writes nothing.
	 */
	async updateSessionExpiration(sessionId: string, expiresAt: Date): Promise<void> {
		const id = sha256Hex(sessionId);
		const row = await this.db
			.selectFrom('sessions')
			.select(['created_at', 'expires_at'])
			.where('id', '=', id)
			.where('state', '=', 'verified')
			.executeTakeFirst();
		if (!row) return;
		const session = { state: 'verified' as const, createdAt: Number(row.created_at) };
		const next = sessionExpiresAt(this.lifetimes, session, expiresAt.getTime());
		if (next === Number(row.expires_at)) return;
		await this.db
			.updateTable('sessions')
			.set({ expires_at: next })
			.where('id', '=', id)
			.where('state', '=', 'verified')
			.execute();
	}

	/**
	 * Ends a session and, when it was pending and has just been promoted, the verified session it
	 * became: a logout authenticated as the pending session may run after the promotion
	 * committed, and must not leave that verified session alive. Two statements in this order, so
	 * the second sees a promotion that committed while the first waited for its row.
	 */
	async deleteSession(sessionId: string): Promise<void> {
		const id = sha256Hex(sessionId);
		const ended = await this.db.deleteFrom('sessions').where('id', '=', id).executeTakeFirst();
		if (affectedRows(ended) === 1) return;
		await this.db.deleteFrom('sessions').where('promoted_from', '=', id).execute();
	}

	async deleteUserSessions(userId: string): Promise<void> {
		await this.db.deleteFrom('sessions').where('user_id', '=', userId).execute();
	}

	async deleteExpiredSessions(): Promise<void> {
		await this.db.deleteFrom('sessions').where('expires_at', '<=', Date.now()).execute();
	}
}
