import { error } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { appPage } from '$lib/server/pages/groups';
import { notFoundOrThrow } from '$lib/server/pages/resource-forms';
import type { PageServerLoad } from './$types';
import { resourceAt } from '$lib/server/pages/resource-api';

// A row's history tab: who changed which fields, from what to what, and when (the audit trail),
// newest first, 50 a page (`?page=`).
export const load: PageServerLoad = appPage.load(async ({ api, event }) => {
	const { resource, procedures } = await resourceAt(api, event);
	const id = event.params.id;
	const row = await procedures.get({ id }).catch(notFoundOrThrow);
	const page = Number(event.url.searchParams.get('page') ?? 1);
	const history = await procedures.history({ id, page }).catch((cause: unknown) => {
		if (cause instanceof TRPCError && cause.code === 'BAD_REQUEST')
			error(400, 'That page is not valid');
		throw cause;
	});
	return { resource, row, history: { ...history, page } };
});
