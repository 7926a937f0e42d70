// A user holding every second factor, made the way people make them: signed in by email, then an
// authenticator app and security keys set up through the procedures (step-up fresh from the
// sign-in), a remembered device and backup tokens stored as sign-in and the CLI store them. For
// the suites of an admin's view and reset of someone's factors (ORIGIN must be TEST_ORIGIN).
import type { Kysely } from 'kysely';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import { rememberDevice } from '$lib/server/auth/remembered-devices';
import type { Database } from '$lib/server/db/schema';
import type { Caller, useApiHarness } from './api-harness';
import { registerKey } from './security-keys';
import { enrolTotp } from './totp';
import { seedUser, type SeededUser } from '../../tools/sign-in';

const DAY = 24 * 60 * 60_000;

export interface UserWithFactors {
	user: SeededUser;
	caller: Caller;
	/** The authenticator's base32 secret. */
	secret: string;
	/** The security keys' credential ids (base64url). */
	credentialIds: string[];
	/** The remembered device's cookie value. */
	deviceCookie: string;
	backupTokens: string[];
}

export async function userWithFactors(
	harness: ReturnType<typeof useApiHarness>,
	overrides: Parameters<typeof seedUser>[1] = {}
): Promise<UserWithFactors> {
	const user = await seedUser(harness.db, overrides);
	const caller = await harness.callerFor(await harness.signIn(user));
	const { secret } = await enrolTotp(caller);
	const first = await registerKey(caller, 'YubiKey 5');
	const second = await registerKey(caller, 'Spare key');
	const device = await rememberDevice(
		harness.db,
		{ userId: user.id, ip: '203.0.113.7', userAgent: 'vitest' },
		30 * DAY,
		Date.now()
	);
	const backupTokens = await insertBackupTokens(harness.db, user.id, 3);
	return {
		user,
		caller,
		secret,
		credentialIds: [first.key.credentialId, second.key.credentialId],
		deviceCookie: device.cookie,
		backupTokens
	};
}

/** How many rows of each factor the user holds, straight from the tables. */
export async function factorRows(db: Kysely<Database>, userId: string) {
	const count = async (
		table: 'totp_factors' | 'webauthn_credentials' | 'remembered_devices' | 'backup_tokens'
	) =>
		(await db.selectFrom(table).select('user_id').where('user_id', '=', userId).execute()).length;
	return {
		totp: await count('totp_factors'),
		securityKeys: await count('webauthn_credentials'),
		devices: await count('remembered_devices'),
		backupTokens: await count('backup_tokens')
	};
}
