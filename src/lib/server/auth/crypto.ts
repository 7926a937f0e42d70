import { createHash, createHmac, hkdfSync, randomInt, timingSafeEqual } from 'node:crypto';
import { getConfig } from '../config';

export function sha256Hex(value: string): string {
	return createHash('sha256').update(value).digest('hex');
}

/**
 * Keyed hash for one-time codes and tokens. The purpose is part of the message, so a hash made
 * for one use can never be replayed as another.
 */
export function keyedHash(purpose: string, value: string, secret = getConfig().authSecret): string {
	return createHmac('sha256', secret).update(`${purpose}\0${value}`).digest('hex');
}

/**
 * A 256-bit key of its own for one purpose, derived from AUTH_SECRET with HKDF-SHA256: a key
 * leaked or misused in one place says nothing about the secret or about any other purpose's key.
 */
export function derivedKey(purpose: string, secret = getConfig().authSecret): Buffer {
	return Buffer.from(hkdfSync('sha256', secret, '', purpose, 32));
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
	const left = Buffer.from(a, 'hex');
	const right = Buffer.from(b, 'hex');
	return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** `length` decimal digits, each drawn uniformly from a CSPRNG. */
export function randomDigits(length: number): string {
	let out = '';
	for (let i = 0; i < length; i++) out += String(randomInt(10));
	return out;
}
