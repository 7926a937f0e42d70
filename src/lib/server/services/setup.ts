// First run: while no user exists, a one-time link creates the first admin.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { hashPassword } from '../auth/password';
import { isLiveSetupToken, issueSetupToken, spendSetupToken } from '../auth/setup-token';
import { recordAudit } from './audit';
import { SetupLinkInvalidError } from './errors';
import { countUsers, insertUser, type AuditContext } from './users';

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

/** Creates the first admin and spends every setup token, all in one transaction. */
export async function completeSetup(
	db: Kysely<Database>,
	admin: FirstAdmin,
	audit: AuditContext,
	now = Date.now()
): Promise<string> {
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
