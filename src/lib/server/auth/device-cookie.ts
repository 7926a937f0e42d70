// Where a remembered device's token travels: its own cookie, apart from the session's, so signing
// out (which ends the session cookie) keeps the browser remembered. Browsers only: a bearer
// sign-in neither sends nor gets one (a tool that signs in often should use an API token).
import type { Cookies } from '@sveltejs/kit';

// As for the session cookie: `__Host-` (Secure, host-only, Path=/) whenever the app is on https.
export const DEVICE_COOKIE = 'remembered_device';
export const SECURE_DEVICE_COOKIE = '__Host-remembered_device';

export function deviceCookieName(url: URL): string {
	return url.protocol === 'https:' ? SECURE_DEVICE_COOKIE : DEVICE_COOKIE;
}

/** The device cookie the request carries, if any (its signature is checked at sign-in). */
export function readDeviceCookie(event: { cookies: Cookies; url: URL }): string | null {
	return event.cookies.get(deviceCookieName(event.url)) ?? null;
}

/** Max-Age is the device's lifetime (REMEMBER_DEVICE_DAYS): the cookie and its row end together. */
export function setDeviceCookie(
	event: { cookies: Cookies; url: URL },
	value: string,
	maxAgeSeconds: number
): void {
	event.cookies.set(deviceCookieName(event.url), value, {
		path: '/',
		httpOnly: true,
		sameSite: 'lax',
		secure: event.url.protocol === 'https:',
		maxAge: maxAgeSeconds
	});
}
