import { appPage } from '$lib/server/pages/groups';
import { plainValue } from '$lib/resources/cells';
import { csvRecord } from '$lib/resources/csv';
import { resourceAt } from '$lib/server/pages/resource-api';
import { listColumns, listQueryOf, withListInput } from '$lib/server/pages/resource-list';
import type { RequestHandler } from './$types';

// Every row the list's search and filters match, in its sort, as CSV: the list's columns with
// their labels, streamed a batch (`exportPage`, 1000 rows) at a time, so a big table never sits
// in memory whole. Same guard and URL as the list: a bad parameter is a 400 before anything is
// sent; an error after the first batch ends the download early (the status is already out).
export const GET: RequestHandler = appPage.load(async ({ api, event }) => {
	const { resource, procedures: exporter } = await resourceAt(api, event);
	const query = listQueryOf(event.url, resource);
	const columns = listColumns(resource);
	// The first batch before answering: permission and input errors still get their status.
	const first = await withListInput(() => exporter.exportPage({ query }));
	const encoder = new TextEncoder();
	let next = first.next;
	let pending: typeof first.rows | null = first.rows;

	const body = new ReadableStream<Uint8Array>({
		start(controller) {
			controller.enqueue(encoder.encode(csvRecord(columns.map((column) => column.label))));
		},
		async pull(controller) {
			if (!pending) {
				if (next === null) return controller.close();
				const batch = await exporter.exportPage({ query, offset: next });
				pending = batch.rows;
				next = batch.next;
			}
			const text = pending
				.map((row) => csvRecord(columns.map((column) => plainValue(column.kind, row[column.key]))))
				.join('');
			pending = null;
			controller.enqueue(encoder.encode(text));
		}
	});
	const day = new Date().toISOString().slice(0, 10);
	return new Response(body, {
		headers: {
			'content-type': 'text/csv; charset=utf-8',
			'content-disposition': `attachment; filename="${resource.path}-${day}.csv"`,
			'cache-control': 'no-store'
		}
	});
});
