import { redirect } from '@sveltejs/kit';
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
		// Back where the form was, if that was on this site.
		const referer = request.headers.get('referer');
		const back = referer && new URL(referer).origin === url.origin ? new URL(referer) : null;
		redirect(303, back ? back.pathname + back.search : '/');
	}
};
