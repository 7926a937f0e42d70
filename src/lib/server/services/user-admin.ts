// Changing users: profile, role, activation, password, unlock, delete. Each change and its
// audit row share a transaction; anything that takes access away also ends the user's sessions
// and remembered devices.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { decidingTransaction } from '../db/transaction';
import { affectedRows, isUniqueViolation } from '../db/errors';
import { revokeLinks } from '../auth/account-links';
import { hashPassword } from '../auth/password';
import { replacePassword } from './password-change';
import { forgetRememberedDevices } from '../auth/remembered-devices';
import { revokeAllApiTokens } from './api-tokens';
import { recordAudit, type AuditEvent } from '../db/audit-log';
import type { Actor } from './actor';
import { ForbiddenError, InvalidRequestError, NotFoundError, UserExistsError } from '../errors';
import { queueNotice, requestOf } from './notices';
import { addressChangedMessage } from '../mail';
import { release } from '../auth/rate-limit';
import {
	checkNewAddress,
	countEmailChangeRequest,
	issueEmailChange,
	requireOrigin,
	type IssuedEmailChange,
	type PendingEmailChange
} from './email-change';
import type { ServiceDeps } from './deps';

async function change(
	deps: ServiceDeps,
	actor: Actor,
	userId: string,
	event: AuditEvent,
	details: string | null,
	work: (trx: Kysely<Database>, now: number) => Promise<number>
): Promise<number> {
	const now = deps.clock.now();
	try {
		await decidingTransaction(deps.db, async (trx) => {
			if ((await work(trx, now)) === 0) throw new NotFoundError('No such user');
			await recordAudit(trx, { event, subjectId: userId, details, ...actor }, now);
		});
	} catch (error) {
		if (isUniqueViolation(error)) throw new UserExistsError();
		throw error;
	}
	return now;
}

/**
 * Username and email. The username changes at once. A new email waits for the link mailed to it
 * (services/email-change.ts): the answer names the pending change. Clearing the email takes effect
 * at once (there is nothing to prove), drops a pending change and tells the previous address.
 */
export async function updateProfile(
	deps: ServiceDeps,
	actor: Actor,
	userId: string,
	profile: { username: string; email: string | null },
	origin: string | null
): Promise<{ emailChange: PendingEmailChange | null }> {
	const current = await deps.db
		.selectFrom('users')
		.select('email')
		.where('id', '=', userId)
		.executeTakeFirst();
	if (!current) throw new NotFoundError('No such user');
	const newEmail = profile.email !== null && profile.email !== current.email ? profile.email : null;
	// Everything that can refuse the new address does so before anything is written.
	const base = newEmail ? requireOrigin(origin) : null;
	if (newEmail) await checkNewAddress(deps.db, userId, newEmail);
	const hit = newEmail ? await countEmailChangeRequest(deps, userId, deps.clock.now()) : null;
	const done = {
		previous: null as string | null,
		cleared: false,
		issued: null as IssuedEmailChange | null
	};
	try {
		await change(deps, actor, userId, 'user.updated', 'profile', async (trx, now) => {
			const before = await trx
				.selectFrom('users')
				.select('email')
				.where('id', '=', userId)
				.executeTakeFirst();
			done.previous = before?.email ?? null;
			done.cleared = profile.email === null && done.previous !== null;
			const updated = affectedRows(
				await trx
					.updateTable('users')
					.set((eb) =>
						done.cleared
							? {
									// No address: the account email has to prove itself again once set. First in
									// the SET list: MySQL would otherwise compare against the email it just wrote.
									otp_email_confirmed_at: eb
										.case()
										.when('otp_email', 'is', null)
										.then(null)
										.else(eb.ref('otp_email_confirmed_at'))
										.end(),
									username: profile.username,
									email: null,
									updated_at: now
								}
							: { username: profile.username, updated_at: now }
					)
					.where('id', '=', userId)
					.executeTakeFirst()
			);
			if (updated === 0) return 0;
			if (done.cleared && (await revokeLinks(trx, userId, 'email', now)) > 0) {
				const details = 'email cleared by an administrator';
				await recordAudit(
					trx,
					{ event: 'email_change.cancelled', subjectId: userId, details, ...actor },
					now
				);
			}
			if (done.cleared && done.previous) {
				const message = addressChangedMessage({
					what: 'account',
					newAddress: 'no address',
					request: requestOf(actor, now)
				});
				await queueNotice(trx, deps, done.previous, message);
			}
			if (newEmail && base) {
				done.issued = await issueEmailChange(trx, deps, actor, userId, newEmail, base, now);
			}
			return updated;
		});
	} catch (error) {
		if (hit) await release(deps.db, hit);
		throw error;
	}
	const issued = done.issued;
	return {
		emailChange: issued ? { email: issued.email, expiresAt: new Date(issued.link.expiresAt) } : null
	};
}

export async function setRole(
	deps: ServiceDeps,
	actor: Actor,
	userId: string,
	role: 'admin' | 'member'
): Promise<void> {
	if (userId === actor.actorId && role !== 'admin') {
		throw new InvalidRequestError('You cannot remove your own admin role');
	}
	await change(deps, actor, userId, 'user.role_changed', `role=${role}`, async (trx, now) =>
		affectedRows(
			await trx
				.updateTable('users')
				.set({ role, updated_at: now })
				.where('id', '=', userId)
				.executeTakeFirst()
		)
	);
}

/** Deactivating ends every session and API token at once; reactivating brings neither back. */
export async function setActive(
	deps: ServiceDeps,
	actor: Actor,
	userIds: string[],
	active: boolean
): Promise<void> {
	const { db } = deps;
	if (!active && userIds.includes(actor.actorId)) {
		throw new InvalidRequestError('You cannot deactivate yourself');
	}
	const now = deps.clock.now();
	const ids = [...new Set(userIds)];
	await decidingTransaction(db, async (trx) => {
		const result = await trx
			.updateTable('users')
			.set({ is_active: active ? 1 : 0, updated_at: now })
			.where('id', 'in', ids)
			.executeTakeFirst();
		// All or nothing: an unknown id rolls the whole change back.
		if (affectedRows(result) !== ids.length) throw new NotFoundError('No such user');
		if (!active) {
			await trx.deleteFrom('sessions').where('user_id', 'in', ids).execute();
			await revokeAllApiTokens({ ...deps, db: trx }, actor, ids, 'user deactivated', now);
			for (const userId of ids) {
				await forgetRememberedDevices(trx, userId, now, { ...actor, reason: 'user deactivated' });
			}
		}
		for (const userId of ids) {
			const event = active ? 'user.reactivated' : 'user.deactivated';
			await recordAudit(trx, { event, subjectId: userId, ...actor }, now);
		}
	});
}

/**
 * An admin sets someone's password: all their sessions end, their remembered devices are
 * forgotten, their API tokens die and their reset links stop working.
 */
export async function setPassword(
	deps: ServiceDeps,
	actor: Actor,
	userId: string,
	password: string
): Promise<void> {
	const passwordHash = await hashPassword(password);
	await change(deps, actor, userId, 'user.password_set', null, (trx, now) =>
		replacePassword(
			{ ...deps, db: trx },
			actor,
			{
				userId,
				passwordHash,
				keepSession: null,
				revokeApiTokens: true,
				reason: 'password set by an administrator'
			},
			now
		)
	);
}

/** Clears a lock and the failure budget (NIST 800-63B: only an administrator may). */
export async function unlockUser(deps: ServiceDeps, actor: Actor, userId: string): Promise<void> {
	await change(deps, actor, userId, 'account.unlocked', null, async (trx, now) =>
		affectedRows(
			await trx
				.updateTable('users')
				.set({ locked_at: null, otp_failures: 0, otp_blocked_until: null, updated_at: now })
				.where('id', '=', userId)
				.executeTakeFirst()
		)
	);
}

export async function deleteUser(deps: ServiceDeps, actor: Actor, userId: string): Promise<void> {
	if (userId === actor.actorId) throw new ForbiddenError('You cannot delete yourself');
	// Sessions, codes and tokens go with the row (foreign keys cascade); the audit trail stays.
	await change(deps, actor, userId, 'user.deleted', null, async (trx) =>
		affectedRows(await trx.deleteFrom('users').where('id', '=', userId).executeTakeFirst())
	);
}
