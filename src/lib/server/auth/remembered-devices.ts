// "Don't ask again on this device": after a second step a browser may get a device token that
// skips the second step (never the password, never step-up) until it expires. The browser keeps
// `<token>.<mac>` in an HttpOnly cookie (device-cookie.ts); the database keeps only a keyed hash
// of the token. The MAC covers the token and the account it was issued to, under a key derived
// from AUTH_SECRET, so a forged cookie, or one issued to another account, is refused before any
// query; the row decides the rest (expired, forgotten).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { recordAudit } from '../db/audit-log';
import { affectedRows } from '../db/errors';
import { newId } from '../ids';
import { derivedKey, keyedHash } from './crypto';

const TOKEN_BYTES = 32; // 256 bits
/**
 * Remembered devices a person holds at most: remembering one more forgets the oldest, so the list
 * (and the table) stays small however often someone ticks the box.
 */
export const MAX_REMEMBERED_DEVICES = 20;
/** Two base64url SHA-256-sized values: the token and its MAC. Anything else is refused as is. */
const COOKIE_PATTERN = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;

function macOf(userId: string, token: string): Buffer {
	return createHmac('sha256', derivedKey('remembered-device-cookie'))
		.update(`${userId}\0${token}`)
		.digest();
}

function hashToken(token: string): string {
	return keyedHash('remembered-device', token);
}

export interface IssuedDevice {
	publicId: string;
	/** The cookie's value: shown to no one, sent only in the Set-Cookie header. */
	cookie: string;
	expiresAt: Date;
	/** The cookie's Max-Age: the device's whole lifetime, so both end together. */
	maxAgeSeconds: number;
}

/**
 * Remembers the browser for `lifetimeMs`; call it in the promotion's transaction. Beyond
 * MAX_REMEMBERED_DEVICES the user's oldest devices are forgotten.
 */
export async function rememberDevice(
	db: Kysely<Database>,
	params: { userId: string; ip: string | null; userAgent: string | null },
	lifetimeMs: number,
	now: number
): Promise<IssuedDevice> {
	const token = randomBytes(TOKEN_BYTES).toString('base64url');
	const publicId = newId();
	const expiresAt = now + lifetimeMs;
	await db
		.insertInto('remembered_devices')
		.values({
			id: newId(),
			public_id: publicId,
			user_id: params.userId,
			token_hash: hashToken(token),
			user_agent: params.userAgent?.slice(0, 512) ?? null,
			ip: params.ip,
			created_at: now,
			last_used_at: null,
			expires_at: expiresAt
		})
		.execute();
	const beyondCap = await db
		.selectFrom('remembered_devices')
		.select('id')
		.where('user_id', '=', params.userId)
		// The new one stays, whatever the order of rows made in the same millisecond.
		.where('public_id', '!=', publicId)
		.orderBy('created_at', 'desc')
		.orderBy('id', 'desc')
		.limit(1000)
		.offset(MAX_REMEMBERED_DEVICES - 1)
		.execute();
	if (beyondCap.length > 0) {
		const ids = beyondCap.map((row) => row.id);
		await db.deleteFrom('remembered_devices').where('id', 'in', ids).execute();
	}
	const mac = macOf(params.userId, token).toString('base64url');
	return {
		publicId,
		cookie: `${token}.${mac}`,
		expiresAt: new Date(expiresAt),
		maxAgeSeconds: Math.floor(lifetimeMs / 1000)
	};
}

/**
 * The device token in a cookie, if its MAC is right for `userId`; null otherwise. Needs no
 * database: a forged or foreign cookie costs nothing and reveals nothing.
 */
export function deviceTokenOf(cookie: string, userId: string): string | null {
	const parts = COOKIE_PATTERN.exec(cookie);
	if (!parts) return null;
	const [, token, mac] = parts as unknown as [string, string, string];
	const presented = Buffer.from(mac, 'base64url');
	const expected = macOf(userId, token);
	return presented.length === expected.length && timingSafeEqual(presented, expected)
		? token
		: null;
}

/**
 * Marks the user's live device with this token as used now: its public id, or null when the user
 * has no such device (forgotten, expired, or never theirs). One conditional UPDATE decides.
 */
export async function useRememberedDevice(
	db: Kysely<Database>,
	userId: string,
	token: string,
	now: number
): Promise<string | null> {
	const tokenHash = hashToken(token);
	const used = await db
		.updateTable('remembered_devices')
		.set({ last_used_at: now })
		.where('token_hash', '=', tokenHash)
		.where('user_id', '=', userId)
		.where('expires_at', '>', now)
		.executeTakeFirst();
	if (affectedRows(used) !== 1) return null;
	const row = await db
		.selectFrom('remembered_devices')
		.select('public_id')
		.where('token_hash', '=', tokenHash)
		.executeTakeFirstOrThrow();
	return row.public_id;
}

/** Who ended the devices and why, for the audit row; absent: the system, no reason given. */
export interface ForgetReason {
	actorId?: string | null;
	ip?: string | null;
	userAgent?: string | null;
	/** E.g. 'password changed', 'TOTP removed'. */
	reason?: string;
}

/**
 * Ends every remembered device of the user (a password change, a factor removed, an admin's
 * reset): each of them must pass the second step again. Call it in the transaction of the change;
 * it records `device.forgotten` there when there was anything to forget. Returns how many ended.
 */
export async function forgetRememberedDevices(
	db: Kysely<Database>,
	userId: string,
	now: number,
	why: ForgetReason = {}
): Promise<number> {
	const forgotten = affectedRows(
		await db.deleteFrom('remembered_devices').where('user_id', '=', userId).executeTakeFirst()
	);
	if (forgotten > 0) {
		const { reason, ...actor } = why;
		await recordAudit(
			db,
			{
				event: 'device.forgotten',
				subjectId: userId,
				details: `all=${forgotten}${reason ? ` (${reason})` : ''}`,
				...actor
			},
			now
		);
	}
	return forgotten;
}

/** Deletes the user's device with this public id: true when there was one. */
export async function deleteRememberedDevice(
	db: Kysely<Database>,
	userId: string,
	publicId: string
): Promise<boolean> {
	const result = await db
		.deleteFrom('remembered_devices')
		.where('public_id', '=', publicId)
		.where('user_id', '=', userId)
		.executeTakeFirst();
	return affectedRows(result) === 1;
}

export interface RememberedDeviceEntry {
	publicId: string;
	userAgent: string | null;
	ip: string | null;
	createdAt: Date;
	lastUsedAt: Date | null;
	expiresAt: Date;
}

/**
 * The user's live remembered devices, newest first. Unpaged: each needs a second step to make,
 * and they expire, so a person holds a handful.
 */
export async function listRememberedDevices(
	db: Kysely<Database>,
	userId: string,
	now: number
): Promise<RememberedDeviceEntry[]> {
	const rows = await db
		.selectFrom('remembered_devices')
		.select(['public_id', 'user_agent', 'ip', 'created_at', 'last_used_at', 'expires_at'])
		.where('user_id', '=', userId)
		.where('expires_at', '>', now)
		.orderBy('created_at', 'desc')
		.orderBy('public_id')
		.execute();
	return rows.map((row) => ({
		publicId: row.public_id,
		userAgent: row.user_agent,
		ip: row.ip,
		createdAt: new Date(Number(row.created_at)),
		lastUsedAt: row.last_used_at === null ? null : new Date(Number(row.last_used_at)),
		expiresAt: new Date(Number(row.expires_at))
	}));
}

/** How many live remembered devices the user has and when one last stood in for the second step. */
export async function summarizeRememberedDevices(
	db: Kysely<Database>,
	userId: string,
	now: number
): Promise<{ count: number; lastUsedAt: number | null }> {
	const row = await db
		.selectFrom('remembered_devices')
		.select((eb) => [
			eb.fn.countAll<number | string>().as('count'),
			eb.fn.max('last_used_at').as('last_used_at')
		])
		.where('user_id', '=', userId)
		.where('expires_at', '>', now)
		.executeTakeFirstOrThrow();
	return {
		count: Number(row.count),
		lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at)
	};
}
