// The security headers every answer carries, in one table read by both the production entry
// (server/index.js: static files, which adapter-node serves before the app's hooks run) and the
// app's request guard (src/lib/server/security/headers.ts: everything the app answers).
// Plain JavaScript, so Node runs it as it is and Vite bundles it into the app.

/** For answers that are not pages: allow nothing. Pages get theirs from `kit.csp`. */
export const LOCKED_DOWN_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/** Sent only when the request came over https (browsers ignore it on plain http anyway). */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000; includeSubDomains';

/** Header names are lower case, as `Headers` and Node's `res.getHeader` use them. */
export const SECURITY_HEADERS = Object.freeze({
	'content-security-policy': LOCKED_DOWN_CSP,
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'strict-origin-when-cross-origin',
	'x-frame-options': 'DENY',
	'cross-origin-opener-policy': 'same-origin',
	'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()'
});
