// The JavaScript the login page loads, as a browser without a cache fetches it: the scripts the
// server-rendered HTML preloads and imports, plus their static imports. Each file is gzipped on
// its own, as it travels (adapter-node serves the build's precompressed files).
import { gzipSync } from 'node:zlib';

export interface PageScripts {
	files: number;
	bytes: number;
	gzipBytes: number;
}

const PRELOAD = /<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g;
const ENTRY_IMPORT = /import\("([^"]+\.js)"\)/g;
// Minified static imports: `import{a as b}from"./x.js"` and `import"./x.js"` (not `import(`).
const STATIC_IMPORT = /(?:\bfrom|\bimport)\s*"(\.{1,2}\/[^"]+\.js)"/g;

export async function measurePageScripts(pageUrl: string): Promise<PageScripts> {
	const html = await fetchText(pageUrl);
	const pending = [...html.matchAll(PRELOAD), ...html.matchAll(ENTRY_IMPORT)].map(
		(match) => new URL(match[1]!, pageUrl).href
	);
	if (pending.length === 0) throw new Error(`${pageUrl} loads no script: is it a SvelteKit page?`);
	const seen = new Set<string>();
	let bytes = 0;
	let gzipBytes = 0;
	while (pending.length > 0) {
		const url = pending.pop()!;
		if (seen.has(url)) continue;
		seen.add(url);
		const source = await fetchText(url);
		bytes += Buffer.byteLength(source);
		gzipBytes += gzipSync(source, { level: 9 }).length;
		for (const match of source.matchAll(STATIC_IMPORT)) pending.push(new URL(match[1]!, url).href);
	}
	return { files: seen.size, bytes, gzipBytes };
}

async function fetchText(url: string): Promise<string> {
	const response = await fetch(url);
	if (!response.ok) throw new Error(`${url} answered ${response.status}`);
	return response.text();
}
