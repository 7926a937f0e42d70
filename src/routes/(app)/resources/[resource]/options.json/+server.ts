import { json } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { appPage } from '$lib/server/pages/groups';
import { publicMessage } from '$lib/server/trpc/errors';
import type { RequestHandler } from './$types';
import { resourceAt } from '$lib/server/pages/resource-api';

// What a reference field's combobox asks as you type: GET ?field=<name>&search=<text> answers up
// to 20 `{ id, title }` (the `options` procedure, which checks the role and the input). The
// name has a dot, which no row id has, so it never shadows a row's page.
export const GET: RequestHandler = appPage.load(async ({ api, event }) => {
	const { procedures } = await resourceAt(api, event);
	const params = event.url.searchParams;
	try {
		const options = await procedures.options({
			field: params.get('field') ?? '',
			search: params.get('search') ?? ''
		});
		return json(options, { headers: { 'cache-control': 'private, no-store' } });
	} catch (cause) {
		if (!(cause instanceof TRPCError)) throw cause;
		return json({ message: publicMessage(cause) }, { status: getHTTPStatusCodeFromError(cause) });
	}
});
