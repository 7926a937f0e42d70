// First run: while no user exists, a one-time link creates the first admin.
import { addressGroup } from '../auth/client-address';
import { hashPassword } from '../auth/password';
import { isLiveSetupToken, issueSetupToken, spendSetupToken } from '../auth/setup-token';
import { recordAudit } from '../db/audit-log';
import { SetupLinkInvalidError } from '../errors';
import { countWithin } from './limits';
import type { Actor } from './actor';
import { countUsers, insertUser } from './users';
import type { ServiceDeps } from './deps';
import { decidingTransaction } from '../db/transaction';

/** A fresh setup token while the database has no user; null once someone exists. */
export async function openSetup(deps: ServiceDeps, ttlMs: number): Promise<string | null> {
	const { db } = deps;
	if ((await countUsers(deps)) > 0) return null;
	return issueSetupToken(db, ttlMs);
}

export async function isSetupLinkValid(deps: ServiceDeps, token: string): Promise<boolean> {
	const { db } = deps;
	return (await countUsers(deps)) === 0 && (await isLiveSetupToken(db, token));
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
	deps: ServiceDeps,
	admin: FirstAdmin,
	audit: Actor<string | null> & { ip: string },
	now = deps.clock.now()
): Promise<string> {
	const { db, policy } = deps;
	if (!(await isSetupLinkValid(deps, admin.token))) throw new SetupLinkInvalidError();
	const { windowMs, attemptsPerAddress } = policy.setup;
	const bucket = `setup:addr:${addressGroup(audit.ip)}`;
	await countWithin(deps, bucket, windowMs, attemptsPerAddress, now);
	const passwordHash = await hashPassword(admin.password);
	return decidingTransaction(db, async (trx) => {
		if (
			!(await spendSetupToken(trx, admin.token, now)) ||
			(await countUsers({ ...deps, db: trx })) > 0
		) {
			throw new SetupLinkInvalidError();
		}
		const user = { username: admin.username, email: admin.email, role: 'admin' as const };
		const id = await insertUser({ ...deps, db: trx }, user, passwordHash, audit, now);
		await recordAudit(trx, { event: 'setup.completed', subjectId: id, ...audit }, now);
		return id;
	});
}
