// Secrets the app must read back (an authenticator app's TOTP seed), sealed at rest: AES-256-GCM
// under a key derived from AUTH_SECRET with HKDF, so a database dump (or backup) alone is useless.
// Each purpose derives its own key (HKDF's info), and the caller binds each box to its owner
// (GCM's additional data), so a box copied into another row, or another account's row, does not
// open. Stored as one versioned string, `v1.<iv>.<ciphertext+tag>` (base64url), so a later
// scheme can be told apart from this one and read side by side while rows move over.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { getConfig } from '../config';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What a key is for; part of HKDF's info, so no two uses ever share a key. */
export type SealPurpose = 'totp-secret';

const keys = new Map<string, Buffer>();

function keyFor(purpose: SealPurpose, secret: string): Buffer {
	const cacheKey = `${purpose}\0${secret}`;
	let key = keys.get(cacheKey);
	if (!key) {
		// No salt: AUTH_SECRET is already a high-entropy key (at least 32 bytes in production).
		const info = `sveltekit-trpc-admin ${purpose} aes-256-gcm ${VERSION}`;
		key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
		keys.set(cacheKey, key);
	}
	return key;
}

/** Seals `plaintext`; `boundTo` (e.g. the owner's id) must be given again to open it. */
export function seal(
	purpose: SealPurpose,
	plaintext: string,
	boundTo: string,
	secret = getConfig().authSecret
): string {
	const iv = randomBytes(IV_BYTES);
	const cipher = createCipheriv('aes-256-gcm', keyFor(purpose, secret), iv);
	cipher.setAAD(Buffer.from(boundTo, 'utf8'));
	const body = Buffer.concat([
		cipher.update(plaintext, 'utf8'),
		cipher.final(),
		cipher.getAuthTag()
	]);
	return [VERSION, iv.toString('base64url'), body.toString('base64url')].join('.');
}

/**
 * The plaintext of a box, or null when it does not open: tampered with, bound to something else,
 * of an unknown version, or sealed under another AUTH_SECRET (after a rotation).
 */
export function open(
	purpose: SealPurpose,
	box: string,
	boundTo: string,
	secret = getConfig().authSecret
): string | null {
	const [version, ivText, bodyText, ...rest] = box.split('.');
	if (version !== VERSION || !ivText || !bodyText || rest.length > 0) return null;
	const iv = Buffer.from(ivText, 'base64url');
	const body = Buffer.from(bodyText, 'base64url');
	if (iv.length !== IV_BYTES || body.length < TAG_BYTES) return null;
	try {
		const decipher = createDecipheriv('aes-256-gcm', keyFor(purpose, secret), iv, {
			authTagLength: TAG_BYTES
		});
		decipher.setAAD(Buffer.from(boundTo, 'utf8'));
		decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
		const plain = Buffer.concat([decipher.update(body.subarray(0, -TAG_BYTES)), decipher.final()]);
		return plain.toString('utf8');
	} catch {
		return null; // the tag did not verify
	}
}
