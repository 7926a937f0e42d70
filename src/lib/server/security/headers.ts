// Headers every response carries. Pages get their Content-Security-Policy from `kit.csp`
// (svelte.config.js), which allows SvelteKit's own inline script by nonce or hash; anything else
// (/trpc, endpoints, errors raised before rendering) gets a policy that allows nothing at all.
// The table is shared with the production entry, which puts it on static files too.
import {
	SECURITY_HEADERS,
	STRICT_TRANSPORT_SECURITY
} from '../../../../server/security-headers.js';
import { carriesCredentials, setsSessionCookie } from './credentials';

/** Never stored by the browser or anything in between. */
const PRIVATE = 'private, no-store';

export function applySecurityHeaders(headers: Headers, url: URL): void {
	for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
		if (!headers.has(name)) headers.set(name, value);
	}
	// `url` is adapter-node's idea of the request (ORIGIN or PROTOCOL_HEADER), as the entry's is.
	if (url.protocol === 'https:') {
		headers.set('strict-transport-security', STRICT_TRANSPORT_SECURITY);
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
