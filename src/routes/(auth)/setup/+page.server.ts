import { error, redirect } from '@sveltejs/kit';
import { failFromError } from '$lib/server/trpc/form-errors';
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
	default: async function createFirstAdmin(event) {
		const form = await event.request.formData();
		const values = {
			username: String(form.get('username') ?? ''),
			email: String(form.get('email') ?? '')
		};
		const api = await createServerCaller(event);
		try {
			await api.setup.complete({
				token: event.url.searchParams.get('token') ?? '',
				password: String(form.get('password') ?? ''),
				...values
			});
		} catch (error) {
			return failFromError(error, values);
		}
		redirect(303, '/login?setup=done');
	}
};
