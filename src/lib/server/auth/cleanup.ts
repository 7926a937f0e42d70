import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { deleteExpiredWindows } from './rate-limit';

/**
 * Deletes what can never be used again: expired sessions (their codes and security-key
 * challenges go with them), expired codes and challenges, expired setup links and remembered
 * devices, rate-limit windows nobody will ask about again. Validation already refuses these
 * rows; this only keeps the tables small.
 */
export async function deleteExpiredAuthRows(db: Kysely<Database>, now = Date.now()): Promise<void> {
	await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
	await db.deleteFrom('email_otps').where('expires_at', '<=', now).execute();
	await db.deleteFrom('webauthn_challenges').where('expires_at', '<=', now).execute();
	await db.deleteFrom('setup_tokens').where('expires_at', '<=', now).execute();
	await db.deleteFrom('remembered_devices').where('expires_at', '<=', now).execute();
	await deleteExpiredWindows(db, now);
}
