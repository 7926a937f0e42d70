import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { deleteExpiredWindows } from './rate-limit';

const EXPIRED_LINKS_KEPT_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Deletes what can never be used again: expired sessions (their codes and security-key
 * challenges go with them), expired codes and challenges, expired setup links and remembered
 * devices, rate-limit windows nobody will ask about again, mailed links a week past their end
 * (kept that long so an admin still sees an invitation that ran out). Validation already refuses
 * these rows; this only keeps the tables small.
 */
export async function deleteExpiredAuthRows(db: Kysely<Database>, now = Date.now()): Promise<void> {
	await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
	await db.deleteFrom('email_otps').where('expires_at', '<=', now).execute();
	await db.deleteFrom('webauthn_challenges').where('expires_at', '<=', now).execute();
	await db.deleteFrom('setup_tokens').where('expires_at', '<=', now).execute();
	await db.deleteFrom('remembered_devices').where('expires_at', '<=', now).execute();
	await db
		.deleteFrom('account_links')
		.where('expires_at', '<=', now - EXPIRED_LINKS_KEPT_MS)
		.execute();
	await deleteExpiredWindows(db, now);
}
