import { error, redirect } from '@sveltejs/kit';
import { publicPage } from '$lib/server/pages/groups';
import { createServerCaller } from '$lib/server/trpc/caller';
import type { Actions, PageServerLoad } from './$types';

// Without a valid token, or once any user exists, there is nothing here: 404.
export const load: PageServerLoad = async (event) => {
	const token = event.url.searchParams.get('token') ?? '';
	const api = await createServerCaller(event);
	const status = token.length > 0 && token.length <= 128 ? await api.setup.status({ token }) : null;
	if (!status?.valid) error(404, 'Not found');
	return {};
};

export const actions: Actions = {
	default: publicPage.action(
		async ({ api, event, text, values }) => {
			await api.setup.complete({
				token: event.url.searchParams.get('token') ?? '',
				password: text('password'),
				...values
			});
			redirect(303, '/login?setup=done');
		},
		{ values: ['username', 'email'] }
	)
};
