// Where a browser may be sent after signing in or sending a form: only a path of this site.
const BASE = 'http://same.invalid';

/**
 * A `redirectTo` value that stays on this site: a path starting with a single `/`, before and
 * after normalisation. Anything else (`https://evil`, `//evil`, `/\evil`, `/.//evil`,
 * `javascript:`, encoded tricks) becomes `/`.
 */
export function safeRedirectPath(value: string | null | undefined): string {
	if (!value || !isSitePath(value)) return '/';
	// Control characters and backslashes are how browsers get talked into other hosts.
	if ([...value].some((char) => char < ' ' || char === '\u007f' || char === '\\')) return '/';
	// No page here needs an encoded slash or backslash in its path, and a proxy or a later
	// redirect that decodes it once would turn `/%2F/evil` into `//evil`.
	const path = value.split(/[?#]/, 1)[0]!;
	if (/%(2f|5c)/i.test(path)) return '/';
	let url: URL;
	try {
		url = new URL(value, BASE);
	} catch {
		return '/';
	}
	if (url.origin !== BASE) return '/';
	// Resolving dot segments (`.`, `..`, `%2e%2e`) can leave two slashes in front: `/.//evil`
	// and `/..//evil` become `//evil`, which a browser reads as a host.
	const normalised = url.pathname + url.search + url.hash;
	return isSitePath(normalised) ? normalised : '/';
}

/** Where to send a browser back to: the Referer when it is a page of this site, else `/`. */
export function refererPath(referer: string | null, origin: string): string {
	if (!referer) return '/';
	let url: URL;
	try {
		url = new URL(referer);
	} catch {
		return '/';
	}
	return url.origin === origin ? safeRedirectPath(url.pathname + url.search) : '/';
}

/** One `/` in front, not followed by another `/` or a `\`: a path, never a host. */
function isSitePath(value: string): boolean {
	return value.startsWith('/') && value[1] !== '/' && value[1] !== '\\';
}
