// First run: while no user exists, a one-time link creates the first admin.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { addressGroup } from '../auth/client-address';
import { hashPassword } from '../auth/password';
import type { AuthPolicy } from '../auth/policy';
import { isLiveSetupToken, issueSetupToken, spendSetupToken } from '../auth/setup-token';
import { recordAudit } from '../db/audit-log';
import { SetupLinkInvalidError } from '../errors';
import { countWithin } from './limits';
import type { Actor } from './actor';
import { countUsers, insertUser } from './users';

/** A fresh setup token while the database has no user; null once someone exists. */
export async function openSetup(db: Kysely<Database>, ttlMs: number): Promise<string | null> {
	if ((await countUsers(db)) > 0) return null;
	return issueSetupToken(db, ttlMs);
}

export async function isSetupLinkValid(db: Kysely<Database>, token: string): Promise<boolean> {
	return (await countUsers(db)) === 0 && (await isLiveSetupToken(db, token));
}

export interface FirstAdmin {
	token: string;
	username: string;
	email: string;
	password: string;
}

/**
 * Creates the first admin and spends every setup token, all in one transaction. Anyone can call
 * it, so the cheap checks come before the argon2 hash: a link that is not live (or a database
 * that has users) is refused at once, and each client address gets a few tries per window.
 */
export async function completeSetup(
	deps: { db: Kysely<Database>; policy: AuthPolicy },
	admin: FirstAdmin,
	audit: Actor<string | null> & { ip: string },
	now = Date.now()
): Promise<string> {
	const { db, policy } = deps;
	if (!(await isSetupLinkValid(db, admin.token))) throw new SetupLinkInvalidError();
	const { windowMs, attemptsPerAddress } = policy.setup;
	const bucket = `setup:addr:${addressGroup(audit.ip)}`;
	await countWithin(db, bucket, windowMs, attemptsPerAddress, now);
	const passwordHash = await hashPassword(admin.password);
	return db.transaction().execute(async (trx) => {
		if (!(await spendSetupToken(trx, admin.token, now)) || (await countUsers(trx)) > 0) {
			throw new SetupLinkInvalidError();
		}
		const user = { username: admin.username, email: admin.email, role: 'admin' as const };
		const id = await insertUser(trx, user, passwordHash, audit, now);
		await recordAudit(trx, { event: 'setup.completed', subjectId: id, ...audit }, now);
		return id;
	});
}
