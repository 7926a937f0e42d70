// Security keys in caller-level suites: the origin every software key answers from (the suites
// set ORIGIN to it before the config is read), registering a key through the procedures, and
// reading what a key's use changed.
import type { Kysely } from 'kysely';
import type { Database } from '$lib/server/db/schema';
import { SoftAuthenticator, type SoftAuthenticatorOptions } from '../../tools/soft-authenticator';
import type { Caller } from './api-harness';

/** ORIGIN in these suites (set with vi.hoisted before anything reads the config). */
export const TEST_ORIGIN = 'https://admin.example.test';

/** Registers a new software key through `securityKeys.*` (the caller needs a fresh step-up). */
export async function registerKey(
	caller: Caller,
	name = 'Test key',
	options: Partial<SoftAuthenticatorOptions> = {}
): Promise<{ key: SoftAuthenticator; id: string }> {
	const key = new SoftAuthenticator({ origin: TEST_ORIGIN, ...options });
	const creation = await caller.securityKeys.registrationOptions();
	const { key: added } = await caller.securityKeys.register({
		name,
		response: key.register(creation)
	});
	return { key, id: added.id };
}

/** The stored counter and last use of a key. */
export async function storedKey(
	db: Kysely<Database>,
	id: string
): Promise<{ counter: number; lastUsedAt: number | null } | null> {
	const row = await db
		.selectFrom('webauthn_credentials')
		.select(['counter', 'last_used_at'])
		.where('id', '=', id)
		.executeTakeFirst();
	return row ? { counter: Number(row.counter), lastUsedAt: row.last_used_at } : null;
}

/** The account's consecutive second-step failures (the budget codes and keys share). */
export async function failuresOf(db: Kysely<Database>, userId: string): Promise<number> {
	const row = await db
		.selectFrom('users')
		.select('otp_failures')
		.where('id', '=', userId)
		.executeTakeFirstOrThrow();
	return Number(row.otp_failures);
}

/**
 * Answers of the right shape that no key made (the schemas accept them, the checks refuse them):
 * for suites that call every procedure with an input it would accept.
 */
export const SHAPED_ASSERTION = {
	id: 'AAAAAAAAAAAAAAAAAAAAAA',
	rawId: 'AAAAAAAAAAAAAAAAAAAAAA',
	type: 'public-key',
	clientExtensionResults: {},
	response: {
		clientDataJSON: Buffer.from('{"type":"webauthn.get","challenge":"AAAA"}').toString('base64url'),
		authenticatorData: 'AAAA',
		signature: 'AAAA'
	}
} as const;

export const SHAPED_ATTESTATION = {
	id: 'AAAAAAAAAAAAAAAAAAAAAA',
	rawId: 'AAAAAAAAAAAAAAAAAAAAAA',
	type: 'public-key',
	clientExtensionResults: {},
	response: {
		clientDataJSON: Buffer.from('{"type":"webauthn.create","challenge":"AAAA"}').toString(
			'base64url'
		),
		attestationObject: 'AAAA',
		transports: ['usb']
	}
} as const;
