// Headers every response carries. Pages get their Content-Security-Policy from `kit.csp`
// (svelte.config.js), which hashes SvelteKit's inline script; anything else (/trpc, endpoints,
// errors raised before rendering) gets a policy that allows nothing at all.
import { carriesCredentials, setsSessionCookie } from './credentials';

const LOCKED_DOWN_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

const ALWAYS: Record<string, string> = {
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'strict-origin-when-cross-origin',
	'x-frame-options': 'DENY',
	'cross-origin-opener-policy': 'same-origin',
	'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()'
};

/** Never stored by the browser or anything in between. */
const PRIVATE = 'private, no-store';

export function applySecurityHeaders(headers: Headers, url: URL): void {
	for (const [name, value] of Object.entries(ALWAYS)) {
		if (!headers.has(name)) headers.set(name, value);
	}
	if (!headers.has('content-security-policy')) {
		headers.set('content-security-policy', LOCKED_DOWN_CSP);
	}
	// Only meaningful over https; browsers ignore it on plain http anyway.
	if (url.protocol === 'https:') {
		headers.set('strict-transport-security', 'max-age=31536000; includeSubDomains');
	}
}

/**
 * Answers no cache may keep, whatever the route said: those to a request that presents a session
 * or a token (they are about that person), those that set the session cookie, and those to a
 * POST (a form action or a tRPC mutation; a bearer login hands out its token in the body).
 * Anonymous GETs keep what the route set.
 */
export function applyCachePolicy(request: Request, headers: Headers): void {
	const isPrivate =
		carriesCredentials(request.headers) ||
		setsSessionCookie(headers) ||
		(request.method !== 'GET' && request.method !== 'HEAD');
	if (isPrivate) headers.set('cache-control', PRIVATE);
}
