import { redirect } from '@sveltejs/kit';
import { publicPage } from '$lib/server/pages/groups';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ url }) => ({ sent: url.searchParams.has('sent') });

// The procedure answers alike whether or not the account exists, and so does this action: the
// same redirect, to the same page, with the same words.
export const actions: Actions = {
	default: publicPage.action(
		async ({ api, values }) => {
			await api.auth.forgotPassword({ login: values.login });
			redirect(303, '/login/forgot?sent=1');
		},
		{ values: ['login'] }
	)
};
