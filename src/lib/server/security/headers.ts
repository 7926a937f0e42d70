// Headers every response carries. Pages get their Content-Security-Policy from `kit.csp`
// (svelte.config.js), which hashes SvelteKit's inline script; anything else (/trpc, endpoints,
// errors raised before rendering) gets a policy that allows nothing at all.
const LOCKED_DOWN_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

const ALWAYS: Record<string, string> = {
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'strict-origin-when-cross-origin',
	'x-frame-options': 'DENY',
	'cross-origin-opener-policy': 'same-origin',
	'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()'
};

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
