// Where the session token travels: the session cookie, or `Authorization: Bearer` for tools.
import type { Cookies, RequestEvent } from '@sveltejs/kit';

// `__Host-` makes the browser refuse the cookie unless it is Secure, host-only and Path=/;
// it can only be used over https, so plain-http development uses the bare name.
export const SESSION_COOKIE = 'session';
export const SECURE_SESSION_COOKIE = '__Host-session';

export function sessionCookieName(url: URL): string {
	return url.protocol === 'https:' ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

export interface PresentedToken {
	token: string;
	transport: 'cookie' | 'bearer';
}

/** The token a request presents; a bearer header wins over a cookie. */
export function readSessionToken(
	event: Pick<RequestEvent, 'request' | 'cookies' | 'url'>
): PresentedToken | null {
	const authorization = event.request.headers.get('authorization');
	const bearer = authorization && /^Bearer\s+(\S+)$/i.exec(authorization);
	if (bearer) return { token: bearer[1]!, transport: 'bearer' };
	const cookie = event.cookies.get(sessionCookieName(event.url));
	return cookie ? { token: cookie, transport: 'cookie' } : null;
}

function cookieOptions(url: URL, expires: Date) {
	return {
		path: '/',
		httpOnly: true,
		sameSite: 'lax' as const,
		secure: url.protocol === 'https:',
		expires
	};
}

export function setSessionCookie(
	event: { cookies: Cookies; url: URL },
	token: string,
	expiresAt: Date
): void {
	event.cookies.set(sessionCookieName(event.url), token, cookieOptions(event.url, expiresAt));
}

export function clearSessionCookie(event: { cookies: Cookies; url: URL }): void {
	event.cookies.delete(sessionCookieName(event.url), cookieOptions(event.url, new Date(0)));
}

/**
 * The Set-Cookie header for the session hook, which runs before the tRPC handle: cookies set
 * through `event.cookies` there would be lost on /trpc responses, so it appends the header.
 */
export function serializeSessionCookie(
	event: { cookies: Cookies; url: URL },
	token: string | null,
	expiresAt: Date
): string {
	const options = cookieOptions(event.url, token ? expiresAt : new Date(0));
	return event.cookies.serialize(sessionCookieName(event.url), token ?? '', {
		...options,
		...(token ? {} : { maxAge: 0 })
	});
}
