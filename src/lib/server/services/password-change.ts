// Writing a new password, whoever does it (the owner with their current password, an
// administrator, a reset link): the new hash, and the end of everything the old password opened.
// One code path, so the three can never drift apart on what a new password ends.
import { sha256Hex } from '../auth/crypto';
import { revokeLinks } from '../auth/account-links';
import { forgetRememberedDevices } from '../auth/remembered-devices';
import { affectedRows } from '../db/errors';
import type { Actor } from './actor';
import { revokeAllApiTokens } from './api-tokens';
import type { ServiceDeps } from './deps';

export interface PasswordReplacement {
	userId: string;
	/** argon2id hash of the new password (hashed before the transaction: argon2 is slow). */
	passwordHash: string;
	/** The session that made the change and stays signed in (the owner's own change); null: none. */
	keepSession: string | null;
	revokeApiTokens: boolean;
	/** Why, for the audit details of what ends ('password changed'). */
	reason: string;
}

/**
 * Inside the caller's transaction (`deps.db`): sets the hash; ends every session of the user (but
 * `keepSession`) and every remembered device, their API tokens when asked, and every live reset
 * link, so a link mailed before this change can never set a password over it. Returns the number
 * of users rows written (0: no such user).
 */
export async function replacePassword(
	deps: ServiceDeps,
	actor: Actor,
	change: PasswordReplacement,
	now: number
): Promise<number> {
	const trx = deps.db;
	const { userId, reason } = change;
	const updated = affectedRows(
		await trx
			.updateTable('users')
			.set({ password_hash: change.passwordHash, updated_at: now })
			.where('id', '=', userId)
			.executeTakeFirst()
	);
	let sessions = trx.deleteFrom('sessions').where('user_id', '=', userId);
	if (change.keepSession !== null) {
		sessions = sessions.where('id', '!=', sha256Hex(change.keepSession));
	}
	await sessions.execute();
	await forgetRememberedDevices(trx, userId, now, { ...actor, reason });
	if (change.revokeApiTokens) await revokeAllApiTokens(deps, actor, [userId], reason, now);
	// A link made for the old password (a reset) or for no password (an invitation) must not set
	// another one.
	await revokeLinks(trx, userId, 'reset', now);
	await revokeLinks(trx, userId, 'invite', now);
	return updated;
}
