// Where mailed links (invitations, resets, email changes) point: ORIGIN; without it the request's
// own origin, but only outside production, where a forged Host header would choose it.
import { describe, expect, it } from 'vitest';
import { mailedLinkOrigin, requireMailedLinkOrigin } from '$lib/server/auth/link-origin';
import { SiteAddressUnknownError } from '$lib/server/errors';

const policy = (origin: string | null, requestOriginAllowed: boolean) => ({
	mailedLinks: { origin, requestOriginAllowed }
});
const forged = new URL('http://attacker.example/login/forgot');

describe('the origin of a mailed link', () => {
	it('is ORIGIN when set, whatever the request says', () => {
		expect(mailedLinkOrigin(policy('https://admin.example.com', false), forged)).toBe(
			'https://admin.example.com'
		);
		expect(mailedLinkOrigin(policy('https://admin.example.com', true), forged)).toBe(
			'https://admin.example.com'
		);
	});

	it('in production without ORIGIN: none, never the request Host [refused: set ORIGIN]', () => {
		expect(mailedLinkOrigin(policy(null, false), forged)).toBeNull();
		expect(() => requireMailedLinkOrigin(policy(null, false), forged)).toThrow(
			SiteAddressUnknownError
		);
	});

	it("outside production without ORIGIN: the request's origin; no request, or an opaque one: none", () => {
		expect(mailedLinkOrigin(policy(null, true), new URL('http://localhost:5173/x'))).toBe(
			'http://localhost:5173'
		);
		expect(mailedLinkOrigin(policy(null, true), null)).toBeNull();
		expect(mailedLinkOrigin(policy(null, true), new URL('data:text/plain,x'))).toBeNull();
	});
});
