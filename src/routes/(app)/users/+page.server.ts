import { error } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { requireVerified } from '$lib/server/auth/page-guards';
import { stepUpActions } from '$lib/server/step-up-actions';
import { failFromError } from '$lib/server/trpc/form-errors';
import { createServerCaller } from '$lib/server/trpc/caller';
import type { Actions, PageServerLoad } from './$types';

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

export const load: PageServerLoad = async (event) => {
	const { user } = requireVerified(event);
	if (user.role !== 'admin') error(403, 'Administrators only');
	// Every filter lives in the URL, so a view can be bookmarked and works without JavaScript.
	const query = Object.fromEntries(
		FILTERS.flatMap((name) => {
			const value = event.url.searchParams.get(name);
			return value ? [[name, value]] : [];
		})
	);
	const api = await createServerCaller(event);
	try {
		const input = query as Parameters<typeof api.users.list>[0];
		const result = await api.users.list(input);
		return { ...result, query };
	} catch (cause) {
		if (cause instanceof TRPCError && cause.code === 'BAD_REQUEST') {
			error(400, 'Those filters are not valid');
		}
		throw cause;
	}
};

export const actions: Actions = {
	// Deactivating ends sessions and tokens: it needs a fresh code, which these obtain.
	...stepUpActions,

	deactivate: async function deactivateUsers(event) {
		requireVerified(event);
		const ids = (await event.request.formData()).getAll('ids').map(String);
		if (ids.length === 0) return { message: 'Select at least one user' };
		const api = await createServerCaller(event);
		try {
			await api.users.setActive({ ids, active: false });
		} catch (cause) {
			return failFromError(cause);
		}
		return { deactivated: ids.length };
	}
};
