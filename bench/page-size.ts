// What a list page weighs: its HTML per row, counted two ways, and whether the rows travel a
// second time as hydration data (issue 16: a row is sent once, as HTML, where the page does not
// need it in the browser).

export interface PageSize {
	/** The page of `rows` rows, in bytes as sent (before any compression). */
	bytes: number;
	rows: number;
	/** bytes / rows: what the page costs per row, its header and navigation included. */
	bytesPerRow: number;
	/** (bytes of `rows` rows - bytes of `fewRows`) / the difference: what one more row adds. */
	marginalBytesPerRow: number;
	/** Bytes of inline scripts (SvelteKit's hydration data lives in one); 0 on a page without. */
	inlineScriptBytes: number;
}

/** Fetches `path` with `pageSize=rows` and with `pageSize=fewRows`, as the signed-in `headers`. */
export async function measurePageSize(
	origin: string,
	path: string,
	headers: Record<string, string>,
	rows = 100,
	fewRows = 10
): Promise<PageSize> {
	const fetchPage = async (pageSize: number) => {
		const url = new URL(path, origin);
		url.searchParams.set('pageSize', String(pageSize));
		const response = await fetch(url, { headers });
		if (!response.ok) throw new Error(`${url.pathname}: ${response.status}`);
		return response.text();
	};
	const [full, few] = [await fetchPage(rows), await fetchPage(fewRows)];
	const bytes = Buffer.byteLength(full);
	const inlineScripts = [...full.matchAll(/<script\b(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)];
	return {
		bytes,
		rows,
		bytesPerRow: bytes / rows,
		marginalBytesPerRow: (bytes - Buffer.byteLength(few)) / (rows - fewRows),
		inlineScriptBytes: inlineScripts.reduce(
			(total, [, body]) => total + Buffer.byteLength(body!),
			0
		)
	};
}
