// What a signed-in user does to their own account.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { sha256Hex } from '../auth/crypto';
import { hashPassword, verifyPassword } from '../auth/password';
import { recordAudit } from './audit';
import { InvalidCredentialsError } from './errors';
import type { Actor } from './user-admin';

export class WrongCurrentPasswordError extends InvalidCredentialsError {
	constructor() {
		super();
		this.message = 'The current password is not right';
	}
}

/** Needs the current password; every other session of the user ends. */
export async function changeOwnPassword(
	db: Kysely<Database>,
	actor: Actor,
	currentSessionToken: string,
	passwords: { current: string; next: string }
): Promise<void> {
	const row = await db
		.selectFrom('users')
		.select('password_hash')
		.where('id', '=', actor.actorId)
		.executeTakeFirstOrThrow();
	if (!(await verifyPassword(row.password_hash, passwords.current))) {
		await recordAudit(db, {
			event: 'login.failed',
			subjectId: actor.actorId,
			details: 'password change',
			...actor
		});
		throw new WrongCurrentPasswordError();
	}
	const passwordHash = await hashPassword(passwords.next);
	const now = Date.now();
	await db.transaction().execute(async (trx) => {
		await trx
			.updateTable('users')
			.set({ password_hash: passwordHash, updated_at: now })
			.where('id', '=', actor.actorId)
			.execute();
		await trx
			.deleteFrom('sessions')
			.where('user_id', '=', actor.actorId)
			.where('id', '!=', sha256Hex(currentSessionToken))
			.execute();
		await recordAudit(trx, { event: 'password.changed', subjectId: actor.actorId, ...actor }, now);
	});
}
