import { redirect } from '@sveltejs/kit';
import { createServerCaller } from '$lib/server/trpc/caller';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = () => redirect(303, '/');

export const actions: Actions = {
	default: async function logout(event) {
		const api = await createServerCaller(event);
		await api.auth.logout();
		redirect(303, '/login');
	}
};
