// Whether a request presents a session or a token, and whether a response hands one out. Only
// the names matter here: a dead or forged cookie is still a browser that thinks it is signed in.
import { SECURE_SESSION_COOKIE, SESSION_COOKIE } from '../auth/session-cookie';

const SESSION_COOKIES: ReadonlySet<string> = new Set([SESSION_COOKIE, SECURE_SESSION_COOKIE]);

/** The Cookie header holds a session cookie (under either name). */
export function hasSessionCookie(cookieHeader: string | null): boolean {
	if (!cookieHeader) return false;
	return cookieHeader.split(';').some((pair) => SESSION_COOKIES.has(cookieName(pair)));
}

/** A session cookie, or any Authorization header (a bearer session or an API token). */
export function carriesCredentials(headers: Headers): boolean {
	return headers.has('authorization') || hasSessionCookie(headers.get('cookie'));
}

/** The response sets (or clears) the session cookie. */
export function setsSessionCookie(headers: Headers): boolean {
	return headers.getSetCookie().some((line) => SESSION_COOKIES.has(cookieName(line)));
}

/** The name in `name=value` (a Cookie pair, or the start of a Set-Cookie line). */
function cookieName(pair: string): string {
	const equals = pair.indexOf('=');
	return (equals < 0 ? pair : pair.slice(0, equals)).trim();
}
