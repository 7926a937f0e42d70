/**
 * A `redirectTo` value that stays on this site: a path starting with a single `/`. Anything
 * else (`https://evil`, `//evil`, `/\evil`, `javascript:`, encoded tricks) becomes `/`.
 */
export function safeRedirectPath(value: string | null | undefined): string {
	if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) {
		return '/';
	}
	// Control characters and backslashes are how browsers get talked into other hosts.
	if ([...value].some((char) => char < ' ' || char === '\u007f' || char === '\\')) return '/';
	// No page here needs an encoded slash or backslash in its path, and a proxy or a later
	// redirect that decodes it once would turn `/%2F/evil` into `//evil`.
	const path = value.split(/[?#]/, 1)[0]!;
	if (/%(2f|5c)/i.test(path)) return '/';
	const base = 'http://same.invalid';
	try {
		const url = new URL(value, base);
		return url.origin === base ? url.pathname + url.search + url.hash : '/';
	} catch {
		return '/';
	}
}
