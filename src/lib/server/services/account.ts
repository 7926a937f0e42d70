// What a signed-in user does to their own account.
import { hashPassword, verifyPassword } from '../auth/password';
import { getPolicy } from '../auth/policy';
import { release } from '../auth/rate-limit';
import { replacePassword } from './password-change';
import { recordAudit } from '../db/audit-log';
import { ServerBusyError, WrongCurrentPasswordError } from '../errors';
import { countWithin } from './limits';
import { listSessions, type SessionListEntry } from './session-admin';
import type { Actor } from './actor';
import type { ServiceDeps } from './deps';
import { decidingTransaction } from '../db/transaction';

/**
 * Needs the current password; every other session of the user ends, every remembered device too
 * (each asks for the second step again), every live reset link, and their API tokens unless
 * `revokeApiTokens` is false.
 */
export async function changeOwnPassword(
	deps: ServiceDeps,
	actor: Actor,
	currentSessionToken: string,
	passwords: { current: string; next: string; revokeApiTokens?: boolean }
): Promise<void> {
	const { db } = deps;
	// A stolen session must not become a password oracle: wrong current passwords are limited
	// like sign-in failures, counted before the (argon2) check.
	const limit = getPolicy().login;
	const bucket = `pw:change:${actor.actorId}`;
	const attempt = await countWithin(deps, bucket, limit.windowMs, limit.perUsernameAndAddress);
	const row = await db
		.selectFrom('users')
		.select('password_hash')
		.where('id', '=', actor.actorId)
		.executeTakeFirstOrThrow();
	const currentOk = await verifyPassword(row.password_hash, passwords.current).catch(
		async (error: unknown) => {
			// Busy: nothing was checked, so the try is given back.
			if (error instanceof ServerBusyError) await release(db, attempt);
			throw error;
		}
	);
	if (!currentOk) {
		await recordAudit(db, { event: 'password.change_failed', subjectId: actor.actorId, ...actor });
		throw new WrongCurrentPasswordError();
	}
	await release(db, attempt);
	const passwordHash = await hashPassword(passwords.next);
	const now = deps.clock.now();
	await decidingTransaction(db, async (trx) => {
		await replacePassword(
			{ ...deps, db: trx },
			actor,
			{
				userId: actor.actorId,
				passwordHash,
				keepSession: currentSessionToken,
				revokeApiTokens: passwords.revokeApiTokens !== false,
				reason: 'password changed'
			},
			now
		);
		await recordAudit(trx, { event: 'password.changed', subjectId: actor.actorId, ...actor }, now);
	});
}

/** One of your sessions: the list entry without whose it is, marked when it is this one. */
export type OwnSession = Omit<SessionListEntry, 'userId' | 'username'> & { current: boolean };

export interface OwnSessionPage {
	sessions: OwnSession[];
	/** Your live sessions on every page, this one included. */
	total: number;
}

/**
 * One page of your live sessions, newest first; `currentPublicId` marks the one you are using.
 * Paged like the admin list (the same query): a script that signs in on every run leaves more
 * live sessions than one page should carry.
 */
export async function listOwnSessions(
	deps: ServiceDeps,
	userId: string,
	currentPublicId: string | null,
	paging: { page: number; pageSize: number }
): Promise<OwnSessionPage> {
	const { sessions, total } = await listSessions(deps, { userId, ...paging });
	return {
		// Whose they are goes without saying here.
		sessions: sessions.map(({ userId: _userId, username: _username, ...entry }) => ({
			...entry,
			current: entry.publicId === currentPublicId
		})),
		total
	};
}
