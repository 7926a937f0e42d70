// The authenticator's building blocks without a database: sealing secrets at rest, and which
// codes count at a given time.
import { describe, expect, it } from 'vitest';
import { open, seal } from '$lib/server/auth/secret-box';
import { codeForStep, matchStep, stepAt } from '$lib/server/auth/totp';

const AUTH_SECRET = 'a'.repeat(48);
const OTHER_SECRET = 'b'.repeat(48);
const OWNER = 'user0000000000000000000000000001';
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

/** The box with one byte of its part `index` (1: IV, 2: ciphertext and tag) changed. */
function flipByte(box: string, index: 1 | 2, at: number): string {
	const parts = box.split('.');
	const bytes = Buffer.from(parts[index]!, 'base64url');
	bytes[at < 0 ? bytes.length + at : at]! ^= 0x01;
	parts[index] = bytes.toString('base64url');
	return parts.join('.');
}

describe('secrets sealed at rest (AES-256-GCM, key from AUTH_SECRET by HKDF)', () => {
	const box = seal('totp-secret', SECRET, OWNER, AUTH_SECRET);

	it('open with the same AUTH_SECRET and owner to what was sealed', () => {
		expect(open('totp-secret', box, OWNER, AUTH_SECRET)).toBe(SECRET);
	});

	it('are one versioned string that holds nothing of the secret in the clear', () => {
		expect(box).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
		expect(box).not.toContain(SECRET);
		expect(box.toLowerCase()).not.toContain(SECRET.toLowerCase());
	});

	it('use a new random IV each time, so the same secret never seals alike', () => {
		const again = seal('totp-secret', SECRET, OWNER, AUTH_SECRET);
		expect(again).not.toBe(box);
		expect(again.split('.')[1]).not.toBe(box.split('.')[1]);
	});

	it('do not open once tampered with: IV, ciphertext or tag', () => {
		expect(open('totp-secret', flipByte(box, 1, 0), OWNER, AUTH_SECRET)).toBeNull();
		expect(open('totp-secret', flipByte(box, 2, 0), OWNER, AUTH_SECRET)).toBeNull();
		expect(open('totp-secret', flipByte(box, 2, -1), OWNER, AUTH_SECRET)).toBeNull();
		const [version, iv, body] = box.split('.');
		const shortened = Buffer.from(body!, 'base64url').subarray(1).toString('base64url');
		expect(open('totp-secret', [version, iv, shortened].join('.'), OWNER, AUTH_SECRET)).toBeNull();
	});

	it('do not open for another owner (a box copied into another account) or another AUTH_SECRET', () => {
		expect(open('totp-secret', box, 'user0000000000000000000000000002', AUTH_SECRET)).toBeNull();
		expect(open('totp-secret', box, OWNER, OTHER_SECRET)).toBeNull();
	});

	it('do not open when malformed or of an unknown version', () => {
		for (const bad of ['', 'v1', 'v1..', `v2.${box.slice(3)}`, `${box}.extra`, 'not a box']) {
			expect(open('totp-secret', bad, OWNER, AUTH_SECRET), bad).toBeNull();
		}
	});
});

describe('which codes count (RFC 6238: SHA-1, 6 digits, 30 s, one step either side)', () => {
	// RFC 6238's test key, "12345678901234567890" in ASCII, and its SHA-1 vectors (last 6 digits).
	const RFC_KEY = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

	it('computes the RFC test vectors', () => {
		expect(codeForStep(RFC_KEY, stepAt(59_000))).toBe('287082');
		expect(codeForStep(RFC_KEY, stepAt(1_111_111_109_000))).toBe('081804');
		expect(codeForStep(RFC_KEY, stepAt(1_234_567_890_000))).toBe('005924');
		expect(codeForStep(RFC_KEY, stepAt(20_000_000_000_000))).toBe('353130');
	});

	const now = Date.UTC(2026, 11, 7, 14, 0, 10);
	const step = stepAt(now);

	it('accepts the current step and one either side, and says which step matched', () => {
		for (const offset of [-1, 0, 1]) {
			expect(matchStep(SECRET, codeForStep(SECRET, step + offset), now)).toBe(step + offset);
		}
	});

	it('refuses codes two or more steps away, either side', () => {
		for (const offset of [-3, -2, 2, 3, 100]) {
			expect(matchStep(SECRET, codeForStep(SECRET, step + offset), now), String(offset)).toBeNull();
		}
	});

	it("refuses another secret's code, and anything that is not six ASCII digits", () => {
		const other = 'KRUGKIDROVUWG2ZAMJZG653OEBTG66BA';
		expect(matchStep(SECRET, codeForStep(other, step), now)).toBeNull();
		const code = codeForStep(SECRET, step);
		for (const bad of ['', code.slice(1), `${code}0`, ` ${code}`, '１２３４５６', 'abcdef']) {
			expect(matchStep(SECRET, bad, now), bad).toBeNull();
		}
	});

	it('steps are 30 seconds of Unix time', () => {
		expect(stepAt(0)).toBe(0);
		expect(stepAt(29_999)).toBe(0);
		expect(stepAt(30_000)).toBe(1);
	});
});
