// `__Host-` makes the browser refuse the cookie unless it is Secure, host-only and Path=/;
// it can only be used over https, so plain-http development uses the bare name.
export const SESSION_COOKIE = 'session';
export const SECURE_SESSION_COOKIE = '__Host-session';

export function sessionCookieName(url: URL): string {
	return url.protocol === 'https:' ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}
