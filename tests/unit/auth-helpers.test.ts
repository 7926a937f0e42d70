import { describe, expect, it } from 'vitest';
import { newPasswordSchema, usernameSchema } from '$lib/schemas/auth';
import { addressGroup } from '$lib/server/auth/client-address';
import { keyedHash, randomDigits, sameDigest } from '$lib/server/auth/crypto';
import { backoffMs, getPolicy } from '$lib/server/auth/policy';
import { safeRedirectPath } from '$lib/server/auth/redirect';
import { normalizeBackupToken } from '$lib/server/auth/backup-tokens';

describe('redirectTo stays on this site', () => {
	it.each(['/account', '/users?page=2#top', '/a/b'])('keeps %s', (path) => {
		expect(safeRedirectPath(path)).toBe(path);
	});

	it.each([
		'https://evil.test',
		'//evil.test',
		'/\\evil.test',
		'/%5Cevil.test/../',
		'javascript:alert(1)',
		'\t//evil.test',
		'/\t/evil.test',
		'',
		null,
		'evil'
	])('sends %s to /', (value) => {
		const result = safeRedirectPath(value);
		expect(result.startsWith('/')).toBe(true);
		expect(result.startsWith('//')).toBe(false);
		expect(new URL(result, 'http://app.test').origin).toBe('http://app.test');
	});

	it('normalises dot segments without leaving the site', () => {
		expect(safeRedirectPath('/a/../../b')).toBe('/b');
	});
});

describe('address groups for limits', () => {
	it('keeps IPv4 addresses, unwrapping IPv4-mapped IPv6', () => {
		expect(addressGroup('192.0.2.1')).toBe('192.0.2.1');
		expect(addressGroup('::ffff:192.0.2.1')).toBe('192.0.2.1');
	});

	it('groups IPv6 by /64, however it is written', () => {
		expect(addressGroup('2001:db8:1:2::10')).toBe('2001:db8:1:2::/64');
		expect(addressGroup('2001:0db8:0001:0002:ffff:0:0:1')).toBe('2001:db8:1:2::/64');
		expect(addressGroup('2001:db8:1:3::10')).not.toBe(addressGroup('2001:db8:1:2::10'));
	});
});

describe('backoff after consecutive failures', () => {
	const otp = getPolicy().otp;
	it('is zero below the threshold, then doubles, capped at 15 minutes', () => {
		expect(backoffMs(4, otp)).toBe(0);
		expect(backoffMs(5, otp)).toBe(1000);
		expect(backoffMs(6, otp)).toBe(2000);
		expect(backoffMs(10, otp)).toBe(32_000);
		expect(backoffMs(40, otp)).toBe(15 * 60_000);
	});
});

describe('secrets', () => {
	it('draws codes of the asked length from digits only', () => {
		const codes = Array.from({ length: 200 }, () => randomDigits(6));
		expect(codes.every((code) => /^\d{6}$/.test(code))).toBe(true);
		expect(new Set(codes).size).toBeGreaterThan(190);
	});

	it('keys hashes by purpose and secret', () => {
		const secret = 's'.repeat(32);
		expect(keyedHash('a', 'x', secret)).not.toBe(keyedHash('b', 'x', secret));
		expect(keyedHash('a', 'x', secret)).not.toBe(keyedHash('a', 'x', 't'.repeat(32)));
		expect(sameDigest(keyedHash('a', 'x', secret), keyedHash('a', 'x', secret))).toBe(true);
		expect(sameDigest('ab', 'abcd')).toBe(false);
		expect(sameDigest('', '')).toBe(false);
	});

	it('reads backup tokens with or without dashes, in any case', () => {
		expect(normalizeBackupToken(' ABCD-efgh-2345-67ab ')).toBe('abcdefgh234567ab');
		expect(normalizeBackupToken('abcdefgh234567ab')).toBe('abcdefgh234567ab');
		expect(normalizeBackupToken('abcd-efgh-2345')).toBeNull();
		expect(normalizeBackupToken('123456')).toBeNull();
	});
});

describe('input schemas', () => {
	it('keep passwords of 8 to 256 characters exactly as typed', () => {
		expect(newPasswordSchema.safeParse('short').success).toBe(false);
		expect(newPasswordSchema.safeParse('a'.repeat(257)).success).toBe(false);
		expect(newPasswordSchema.parse(' pässwörd 🔑 ')).toBe(' pässwörd 🔑 ');
	});

	it('lower-case usernames and refuse odd characters', () => {
		expect(usernameSchema.parse(' Alice ')).toBe('alice');
		for (const bad of ['a', 'al\r\nice', 'al ice', '-alice', 'alice@x', 'a'.repeat(65)]) {
			expect(usernameSchema.safeParse(bad).success).toBe(false);
		}
	});
});
