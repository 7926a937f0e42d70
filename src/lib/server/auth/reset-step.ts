// The second step of a password reset needs somewhere to bind what it sends out and to count its
// tries: the emailed code (email_otps), the security key's challenge (webauthn_challenges) and the
// tries with an app's code, a backup token or a key (factor_attempts, session-tries.ts) all belong
// to a sessions row, as a sign-in's do to its pending session. A reset link must never be able to sign anyone in, so that row is no session anybody holds:
// its token is derived from the link's token with the server's key, has a shape the session check
// refuses before any query (session.ts accepts only 40 base32 characters), and is never sent to a
// browser. It lives as long as the link, and the reset (which ends every session of the account)
// or the hourly cleanup deletes it with its code and challenge.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { isUniqueViolation } from '../db/errors';
import { newId } from '../ids';
import { keyedHash, sha256Hex } from './crypto';

/** The step's token for a link: never a valid session token (it holds a dot). */
export function resetStepToken(linkToken: string): string {
	return `reset.${keyedHash('password-reset-step', linkToken)}`;
}

/** Makes sure the step's row exists (several requests of one reset may ask at once). */
export async function openResetStep(
	db: Kysely<Database>,
	step: {
		token: string;
		userId: string;
		expiresAt: number;
		ip: string | null;
		userAgent: string | null;
	},
	now: number
): Promise<void> {
	const id = sha256Hex(step.token);
	const existing = await db
		.selectFrom('sessions')
		.select('id')
		.where('id', 'in', [id])
		.executeTakeFirst();
	if (existing) return;
	try {
		await db
			.insertInto('sessions')
			.values({
				id,
				public_id: newId(),
				user_id: step.userId,
				state: 'pending_otp',
				expires_at: step.expiresAt,
				created_at: now,
				ip: step.ip,
				user_agent: step.userAgent?.slice(0, 512) ?? null,
				verified_at: null,
				last_seen_at: now,
				promoted_from: null,
				enrolment_required: 0
			})
			.execute();
	} catch (error) {
		// A concurrent request of the same reset opened it a moment ago.
		if (!isUniqueViolation(error)) throw error;
	}
}
