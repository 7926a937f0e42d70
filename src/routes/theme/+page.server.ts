import { redirect } from '@sveltejs/kit';
import { refererPath } from '$lib/server/auth/redirect';
import { THEMES, type Theme } from '$lib/server/theme';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = () => redirect(303, '/');

export const actions: Actions = {
	default: async function setTheme({ request, cookies, url }) {
		const theme = String((await request.formData()).get('theme'));
		if (THEMES.includes(theme as Theme)) {
			cookies.set('theme', theme, {
				path: '/',
				httpOnly: true,
				sameSite: 'lax',
				secure: url.protocol === 'https:',
				maxAge: 60 * 60 * 24 * 365
			});
		}
		// Back where the form was, if that was a page of this site; the Referer is the sender's.
		redirect(303, refererPath(request.headers.get('referer'), url.origin));
	}
};
