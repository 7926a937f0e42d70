// A device as people recognise it in lists of sessions and remembered devices.

/** "Firefox on Linux" from a user agent: enough to recognise a device, not to fingerprint it. */
export function deviceOf(userAgent: string | null): string {
	if (!userAgent) return 'Unknown device';
	const browsers: Array<[RegExp, string]> = [
		[/Edg\//, 'Edge'],
		[/OPR\//, 'Opera'],
		[/Firefox\//, 'Firefox'],
		[/Chrom(e|ium)\//, 'Chrome'],
		[/Safari\//, 'Safari'],
		[/^curl\//, 'curl'],
		[/^node|undici/i, 'Node.js']
	];
	const systems: Array<[RegExp, string]> = [
		[/Windows/, 'Windows'],
		[/Android/, 'Android'],
		[/iPhone|iPad|iPod/, 'iOS'],
		[/Mac OS X|Macintosh/, 'macOS'],
		[/CrOS/, 'ChromeOS'],
		[/Linux/, 'Linux']
	];
	const browser = browsers.find(([pattern]) => pattern.test(userAgent))?.[1];
	const system = systems.find(([pattern]) => pattern.test(userAgent))?.[1];
	if (browser && system) return `${browser} on ${system}`;
	return browser ?? system ?? userAgent.slice(0, 40);
}
