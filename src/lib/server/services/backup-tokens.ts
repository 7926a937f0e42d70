// Backup tokens as people manage them. Minting from the app replaces the unused set (as
// django-two-factor-auth's and every other backup-token page does), so a user holds at most one
// set; the command line adds to it (django-otp's addstatictoken), up to the same total. Either way
// the owner is told by email (queued with the change), and each change is audited.
import { affectedRows } from '../db/errors';
import { decidingTransaction } from '../db/transaction';
import { release } from '../auth/rate-limit';
import { countBackupTokens as countTokenRows, insertBackupTokens } from '../auth/backup-tokens';
import { backupTokensMintedMessage } from '../mail';
import { recordAudit } from '../db/audit-log';
import { BackupTokenLimitError } from '../errors';
import { countWithin } from './limits';
import { queueNoticeToUser, requestOf } from './notices';
import type { Actor } from './actor';
import { lockUser, requireUser } from './users';
import type { ServiceDeps } from './deps';

const HOUR = 60 * 60 * 1000;

/**
 * A new set for the user, replacing any unused tokens; shown once. Limited per user and hour,
 * since each mint also mails the owner.
 */
export async function mintBackupTokens(
	deps: ServiceDeps,
	actor: Actor,
	userId: string,
	count: number
): Promise<string[]> {
	const now = deps.clock.now();
	const { mintsPerHour } = deps.policy.backupTokens;
	const attempt = await countWithin(deps, `backup-mint:${userId}`, HOUR, mintsPerHour, now);
	try {
		return await mint(deps, actor, userId, count, { replace: true, via: 'app' }, now);
	} catch (error) {
		await release(deps.db, attempt); // nothing was minted
		throw error;
	}
}

/** Adds tokens to the unused ones (the command line), up to the same total as a set. */
export async function addBackupTokens(
	deps: ServiceDeps,
	actor: Actor<string | null>,
	userId: string,
	count: number
): Promise<string[]> {
	return mint(deps, actor, userId, count, { replace: false, via: 'CLI' }, deps.clock.now());
}

async function mint(
	deps: ServiceDeps,
	actor: Actor<string | null>,
	userId: string,
	count: number,
	how: { replace: boolean; via: 'app' | 'CLI' },
	now: number
): Promise<string[]> {
	const { maxCount } = deps.policy.backupTokens;
	return decidingTransaction(deps.db, async (trx) => {
		// The owner's row first: concurrent mints queue here, so the total below is what the
		// previous one committed and the cap holds under concurrency.
		await lockUser({ ...deps, db: trx }, userId);
		let replaced = 0;
		if (how.replace) {
			replaced = affectedRows(
				await trx.deleteFrom('backup_tokens').where('user_id', '=', userId).executeTakeFirst()
			);
		} else if ((await countTokenRows(trx, userId)) + count > maxCount) {
			throw new BackupTokenLimitError(maxCount);
		}
		const tokens = await insertBackupTokens(trx, userId, count, now);
		const details = `count=${count}${how.replace ? ` replaced=${replaced}` : ''} via ${how.via}`;
		await recordAudit(
			trx,
			{ event: 'backup_token.minted', subjectId: userId, details, ...actor },
			now
		);
		const message = backupTokensMintedMessage({
			count,
			replaced: replaced > 0,
			request: requestOf(actor, now)
		});
		await queueNoticeToUser(trx, deps, userId, message);
		return tokens;
	});
}

/** Revokes every unused token; a user with none is left alone (no write, no audit row). */
export async function revokeBackupTokens(
	deps: ServiceDeps,
	actor: Actor,
	userId: string
): Promise<void> {
	const { db } = deps;
	const now = deps.clock.now();
	await decidingTransaction(db, async (trx) => {
		await requireUser({ ...deps, db: trx }, userId);
		const revoked = affectedRows(
			await trx.deleteFrom('backup_tokens').where('user_id', '=', userId).executeTakeFirst()
		);
		if (revoked === 0) return;
		await recordAudit(
			trx,
			{ event: 'backup_token.revoked', subjectId: userId, details: `count=${revoked}`, ...actor },
			now
		);
	});
}

/** How many unused backup tokens the user holds. */
export function countBackupTokens(deps: ServiceDeps, userId: string): Promise<number> {
	return countTokenRows(deps.db, userId);
}
