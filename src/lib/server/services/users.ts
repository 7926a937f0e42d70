import { normalizeName } from '../../schemas/auth';
import type { UserRow } from '../db/schema';
import { affectedRows, isUniqueViolation } from '../db/errors';
import { newId } from '../ids';
import { hashPassword } from '../auth/password';
import { recordAudit } from '../db/audit-log';
import { SYSTEM_ACTOR, type Actor } from './actor';
import { NotFoundError, UserExistsError } from '../errors';
import type { ServiceDeps } from './deps';
import { decidingTransaction } from '../db/transaction';

export type LoginCandidate = Pick<
	UserRow,
	'id' | 'username' | 'email' | 'otp_email' | 'password_hash' | 'role' | 'is_active' | 'locked_at'
>;

/**
 * The user a login name refers to: its username or its email (both stored normalised, compared
 * byte for byte). A username holds no `@` and an email always does, so at most one user matches.
 */
export async function findUserForLogin(
	deps: ServiceDeps,
	login: string
): Promise<LoginCandidate | undefined> {
	const { db } = deps;
	const name = normalizeName(login);
	return db
		.selectFrom('users')
		.select([
			'id',
			'username',
			'email',
			'otp_email',
			'password_hash',
			'role',
			'is_active',
			'locked_at'
		])
		.where((eb) => eb.or([eb('username', '=', name), eb('email', '=', name)]))
		.executeTakeFirst();
}

/** Where a user's codes and security notices go: the two-factor address, else the email. */
export async function deliveryAddress(deps: ServiceDeps, userId: string): Promise<string | null> {
	const { db } = deps;
	const row = await db
		.selectFrom('users')
		.select(['email', 'otp_email'])
		.where('id', '=', userId)
		.executeTakeFirst();
	return row ? (row.otp_email ?? row.email) : null;
}

export async function findUserIdByUsername(
	deps: ServiceDeps,
	username: string
): Promise<string | undefined> {
	const { db } = deps;
	const row = await db
		.selectFrom('users')
		.select('id')
		.where('username', '=', normalizeName(username))
		.executeTakeFirst();
	return row?.id;
}

export async function countUsers(deps: ServiceDeps): Promise<number> {
	const { db } = deps;
	const row = await db
		.selectFrom('users')
		.select((eb) => eb.fn.countAll<number>().as('count'))
		.executeTakeFirstOrThrow();
	return Number(row.count);
}

export interface NewUser {
	username: string;
	email: string | null;
	password: string;
	role: 'admin' | 'member';
}

/** Inserts a user (input already validated by the shared schemas). Returns the new id. */
export async function createUser(
	deps: ServiceDeps,
	user: NewUser,
	audit: Actor<string | null> = SYSTEM_ACTOR,
	now = deps.clock.now()
): Promise<string> {
	const { db } = deps;
	const passwordHash = await hashPassword(user.password);
	return decidingTransaction(db, (trx) =>
		insertUser({ ...deps, db: trx }, user, passwordHash, audit, now)
	);
}

/** The insert itself, for callers that already hold a transaction (first-run setup). */
export async function insertUser(
	deps: ServiceDeps,
	user: Omit<NewUser, 'password'>,
	passwordHash: string,
	audit: Actor<string | null>,
	now: number
): Promise<string> {
	const trx = deps.db;
	const id = newId();
	try {
		await trx
			.insertInto('users')
			.values({
				id,
				username: user.username,
				email: user.email,
				password_hash: passwordHash,
				role: user.role,
				created_at: now,
				updated_at: now
			})
			.execute();
	} catch (error) {
		if (isUniqueViolation(error)) throw new UserExistsError();
		throw error;
	}
	await recordAudit(trx, { event: 'user.created', subjectId: id, ...audit }, now);
	return id;
}

/**
 * Locks the user's row for the rest of the transaction (a write that changes nothing), so
 * transactions that count what the user owns before adding to it (API tokens, backup tokens)
 * queue one behind the other and each counts what the previous one committed. 404 for nobody.
 */
export async function lockUser(deps: ServiceDeps, userId: string): Promise<void> {
	const trx = deps.db;
	const locked = await trx
		.updateTable('users')
		.set((eb) => ({ updated_at: eb.ref('updated_at') }))
		.where('id', '=', userId)
		.executeTakeFirst();
	if (affectedRows(locked) === 0) throw new NotFoundError('No such user');
}

/** A well-formed id of nobody is a 404, not a foreign-key failure (500) or an audit row. */
export async function requireUser(deps: ServiceDeps, userId: string): Promise<void> {
	const { db } = deps;
	const user = await db
		.selectFrom('users')
		.select('id')
		.where('id', '=', userId)
		.executeTakeFirst();
	if (!user) throw new NotFoundError('No such user');
}
