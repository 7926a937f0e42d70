// Security keys' stored credentials: one row per key, found by the SHA-256 of its (base64url,
// case-sensitive) credential id and always together with its owner, so a key of another user is
// never found. The signature counter moves on by ONE conditional UPDATE that must still see the
// counter the answer was checked against.
import type { Kysely } from 'kysely';
import type { Database, Flag, Millis } from '../db/schema';
import { affectedRows } from '../db/errors';
import { newId } from '../ids';
import { sha256Hex } from './crypto';

/** The transports the browser may report (WebAuthn's AuthenticatorTransport values). */
export const TRANSPORTS = [
	'ble',
	'cable',
	'hybrid',
	'internal',
	'nfc',
	'smart-card',
	'usb'
] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** What the assertion check needs of a key. */
export interface StoredCredential {
	id: string;
	credentialId: string;
	publicKey: Uint8Array<ArrayBuffer>;
	counter: number;
	transports: Transport[];
	backupEligible: boolean;
}

/** A key as its owner sees it in a list: no key material. */
export interface SecurityKeyInfo {
	id: string;
	name: string;
	transports: Transport[];
	/** A passkey synced by its provider (backup eligible), rather than one device's key. */
	synced: boolean;
	/** Whether its provider had it backed up, at its last use. */
	backedUp: boolean;
	/**
	 * Whether the key verified its user (PIN, biometrics) at its last use: its registration, then
	 * each sign-in or step-up. Shown to its owner, never required (the password came first).
	 */
	userVerified: boolean;
	createdAt: Date;
	lastUsedAt: Date | null;
}

export interface NewCredential {
	name: string;
	credentialId: string;
	publicKey: Uint8Array<ArrayBuffer>;
	counter: number;
	transports: string[];
	backupEligible: boolean;
	backedUp: boolean;
	userVerified: boolean;
}

function credentialHash(credentialId: string): string {
	return sha256Hex(credentialId);
}

function parseTransports(stored: string): Transport[] {
	return stored
		.split(',')
		.filter((t): t is Transport => (TRANSPORTS as readonly string[]).includes(t));
}

const flag = (value: boolean): Flag => (value ? 1 : 0);

/** The user's keys, oldest first. */
export async function listCredentials(
	db: Kysely<Database>,
	userId: string
): Promise<SecurityKeyInfo[]> {
	const rows = await db
		.selectFrom('webauthn_credentials')
		.select([
			'id',
			'name',
			'transports',
			'backup_eligible',
			'backed_up',
			'user_verified',
			'created_at',
			'last_used_at'
		])
		.where('user_id', '=', userId)
		.orderBy('created_at')
		.orderBy('id')
		.execute();
	return rows.map((row) => ({
		id: row.id,
		name: row.name,
		transports: parseTransports(row.transports),
		synced: row.backup_eligible === 1,
		backedUp: row.backed_up === 1,
		userVerified: row.user_verified === 1,
		createdAt: new Date(Number(row.created_at)),
		lastUsedAt: row.last_used_at === null ? null : new Date(Number(row.last_used_at))
	}));
}

/** The ids (and transports) of the user's keys, to tell the browser which ones to ask for. */
export async function credentialDescriptors(
	db: Kysely<Database>,
	userId: string
): Promise<Array<{ id: string; transports: Transport[] }>> {
	const rows = await db
		.selectFrom('webauthn_credentials')
		.select(['credential_id', 'transports'])
		.where('user_id', '=', userId)
		.orderBy('created_at')
		.execute();
	return rows.map((row) => ({
		id: row.credential_id,
		transports: parseTransports(row.transports)
	}));
}

export async function countCredentials(db: Kysely<Database>, userId: string): Promise<number> {
	const row = await db
		.selectFrom('webauthn_credentials')
		.select((eb) => eb.fn.countAll<number | string>().as('count'))
		.where('user_id', '=', userId)
		.executeTakeFirstOrThrow();
	return Number(row.count);
}

/** The user's key with this credential id, or null (unknown, or someone else's). */
export async function findCredential(
	db: Kysely<Database>,
	userId: string,
	credentialId: string
): Promise<StoredCredential | null> {
	const row = await db
		.selectFrom('webauthn_credentials')
		.select(['id', 'credential_id', 'public_key', 'counter', 'transports', 'backup_eligible'])
		.where('credential_id_hash', '=', credentialHash(credentialId))
		.where('user_id', '=', userId)
		.executeTakeFirst();
	// The hash matched; the id itself must too (a hash match alone would be a collision).
	if (!row || row.credential_id !== credentialId) return null;
	return {
		id: row.id,
		credentialId: row.credential_id,
		publicKey: new Uint8Array(Buffer.from(row.public_key, 'base64url')),
		counter: Number(row.counter),
		transports: parseTransports(row.transports),
		backupEligible: row.backup_eligible === 1
	};
}

/** Whether any account holds this credential id already. */
export async function credentialExists(
	db: Kysely<Database>,
	credentialId: string
): Promise<boolean> {
	const row = await db
		.selectFrom('webauthn_credentials')
		.select('id')
		.where('credential_id_hash', '=', credentialHash(credentialId))
		.executeTakeFirst();
	return row !== undefined;
}

export async function insertCredential(
	db: Kysely<Database>,
	userId: string,
	credential: NewCredential,
	now: Millis
): Promise<string> {
	const id = newId();
	await db
		.insertInto('webauthn_credentials')
		.values({
			id,
			user_id: userId,
			name: credential.name,
			credential_id: credential.credentialId,
			credential_id_hash: credentialHash(credential.credentialId),
			public_key: Buffer.from(credential.publicKey).toString('base64url'),
			counter: credential.counter,
			transports: credential.transports
				.filter((t) => (TRANSPORTS as readonly string[]).includes(t))
				.join(','),
			backup_eligible: flag(credential.backupEligible),
			backed_up: flag(credential.backedUp),
			user_verified: flag(credential.userVerified),
			created_at: now,
			last_used_at: null
		})
		.execute();
	return id;
}

/**
 * WebAuthn's rule for the signature counter: it must grow, unless the authenticator keeps none
 * (both 0, as passkeys synced between devices do).
 */
export function counterMovesOn(stored: number, received: number): boolean {
	return received > stored || (stored === 0 && received === 0);
}

/**
 * Records a verified use: the new counter, the flags as this use set them (backed up, user
 * verified: what the key did this time, not whether it ever did) and the time. Only while the
 * counter is still the one the answer was checked against: false when another use moved it first.
 */
export async function recordCredentialUse(
	db: Kysely<Database>,
	credential: StoredCredential,
	use: { counter: number; backedUp: boolean; userVerified: boolean },
	now: Millis
): Promise<boolean> {
	const result = await db
		.updateTable('webauthn_credentials')
		.set({
			counter: use.counter,
			backed_up: flag(use.backedUp),
			user_verified: flag(use.userVerified),
			last_used_at: now
		})
		.where('id', '=', credential.id)
		.where('counter', '=', credential.counter)
		.executeTakeFirst();
	return affectedRows(result) === 1;
}

/** The key's name, or null when the user has no such key. */
export async function credentialName(
	db: Kysely<Database>,
	userId: string,
	id: string
): Promise<string | null> {
	const row = await db
		.selectFrom('webauthn_credentials')
		.select('name')
		.where('id', '=', id)
		.where('user_id', '=', userId)
		.executeTakeFirst();
	return row?.name ?? null;
}

/** True when the user's key was renamed (false: no such key of theirs). */
export async function renameCredential(
	db: Kysely<Database>,
	userId: string,
	id: string,
	name: string
): Promise<boolean> {
	const result = await db
		.updateTable('webauthn_credentials')
		.set({ name })
		.where('id', '=', id)
		.where('user_id', '=', userId)
		.executeTakeFirst();
	return affectedRows(result) === 1;
}

/** True for exactly one caller when the user's key existed. */
export async function deleteCredential(
	db: Kysely<Database>,
	userId: string,
	id: string
): Promise<boolean> {
	const result = await db
		.deleteFrom('webauthn_credentials')
		.where('id', '=', id)
		.where('user_id', '=', userId)
		.executeTakeFirst();
	return affectedRows(result) === 1;
}

/** Deletes every key of the user (an admin's reset); how many there were. */
export async function deleteAllCredentials(db: Kysely<Database>, userId: string): Promise<number> {
	const result = await db
		.deleteFrom('webauthn_credentials')
		.where('user_id', '=', userId)
		.executeTakeFirst();
	return affectedRows(result);
}
