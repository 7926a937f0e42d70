import { error } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { serverRendered } from '$lib/server-rendered';
import { adminPage } from '$lib/server/pages/groups';
import { stepUpActions } from '$lib/server/pages/step-up-actions';
import type { Actions, PageServerLoad } from './$types';

// Server-rendered only: 100 rows are sent once, as HTML, not again as hydration data; the row
// selection's few lines of browser code come with DataTable (selection.js). Forms post and links
// load pages, as they do without JavaScript.
export const csr = false;

const FILTERS = [
	'search',
	'role',
	'active',
	'locked',
	'emailConfirmed',
	'sort',
	'direction',
	'page',
	'pageSize'
];

export const load: PageServerLoad = adminPage.load(async ({ api, event }) => {
	// Every filter lives in the URL, so a view can be bookmarked and works without JavaScript.
	const query = Object.fromEntries(
		FILTERS.flatMap((name) => {
			const value = event.url.searchParams.get(name);
			return value ? [[name, value]] : [];
		})
	);
	try {
		const input = query as Parameters<typeof api.users.list>[0];
		const { users, total } = await api.users.list(input);
		return { users: serverRendered(event, users), total, query };
	} catch (cause) {
		if (cause instanceof TRPCError && cause.code === 'BAD_REQUEST') {
			error(400, 'Those filters are not valid');
		}
		throw cause;
	}
});

export const actions: Actions = {
	// Deactivating ends sessions and tokens: it needs a fresh code, which these obtain.
	...stepUpActions(adminPage),

	deactivate: adminPage.action(async ({ api, form }) => {
		const ids = form.getAll('ids').map(String);
		if (ids.length === 0) return { message: 'Select at least one user' };
		await api.users.setActive({ ids, active: false });
		return { deactivated: ids.length };
	})
};
