// The JavaScript the login page loads, as a browser without a cache fetches it: the two entry
// scripts the server-rendered HTML imports, the route's own nodes (layouts and page) that the app
// entry imports for the `node_ids` the HTML names, and every static import of those, transitively.
// Each file is gzipped on its own, as it travels (adapter-node serves precompressed files).
import { gzipSync } from 'node:zlib';

export interface PageScripts {
	/** Paths of the files, in the order they were found. */
	urls: string[];
	files: number;
	bytes: number;
	gzipBytes: number;
}

const ENTRY_IMPORT = /import\("([^"]+\.js)"\)/g;
const NODE_IDS = /node_ids: \[([\d, ]*)\]/;
// The app entry imports node N as the Nth `import("../nodes/N.<hash>.js")` (Rollup writes double
// quotes, Rolldown backticks).
const NODE_IMPORT = /import\([`"](\.\.\/nodes\/[^`"]+\.js)[`"]\)/g;
const STATIC_IMPORT = /(?:\bfrom|\bimport)\s*"(\.{1,2}\/[^"]+\.js)"/g;

export async function measurePageScripts(pageUrl: string): Promise<PageScripts> {
	const html = await fetchText(pageUrl);
	const entries = [...html.matchAll(ENTRY_IMPORT)].map((match) => new URL(match[1]!, pageUrl).href);
	const app = entries.find((url) => url.includes('/entry/app.'));
	const nodeIds = NODE_IDS.exec(html)?.[1];
	if (!app || nodeIds === undefined) {
		throw new Error(`${pageUrl} does not start SvelteKit's app entry with node_ids`);
	}
	// Counting the entries alone misses the page's own code and whatever the bundler moved out of
	// the shared chunks, so a new bundler's chunking could look like growth or shrinkage.
	const nodes = [...(await fetchText(app)).matchAll(NODE_IMPORT)].map(
		(match) => new URL(match[1]!, app).href
	);
	const pending = [...entries];
	for (const id of nodeIds.split(',').map(Number)) {
		const node = nodes[id];
		if (!node) throw new Error(`the app entry imports no node ${id}`);
		pending.push(node);
	}
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
	return {
		urls: [...seen].map((url) => new URL(url).pathname),
		files: seen.size,
		bytes,
		gzipBytes
	};
}

async function fetchText(url: string): Promise<string> {
	const response = await fetch(url);
	if (!response.ok) throw new Error(`${url} answered ${response.status}`);
	return response.text();
}
