// Backup tokens as people manage them: mint (shown once), count, revoke all. Audited.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { countStaticTokens, mintStaticTokens } from '../auth/static-tokens';
import { recordAudit } from './audit';
import type { Actor } from './user-admin';
import { requireUser } from './users';

export async function mintBackupTokens(
	db: Kysely<Database>,
	actor: Actor,
	userId: string,
	count: number
): Promise<string[]> {
	const now = Date.now();
	return db.transaction().execute(async (trx) => {
		await requireUser(trx, userId);
		const tokens = await mintStaticTokens(trx, userId, count, now);
		await recordAudit(
			trx,
			{
				event: 'static_token.minted',
				subjectId: userId,
				details: `count=${count} via UI`,
				...actor
			},
			now
		);
		return tokens;
	});
}

export async function revokeBackupTokens(
	db: Kysely<Database>,
	actor: Actor,
	userId: string
): Promise<void> {
	const now = Date.now();
	await db.transaction().execute(async (trx) => {
		await requireUser(trx, userId);
		await trx.deleteFrom('static_tokens').where('user_id', '=', userId).execute();
		await recordAudit(trx, { event: 'static_token.revoked', subjectId: userId, ...actor }, now);
	});
}

export { countStaticTokens as countBackupTokens };
