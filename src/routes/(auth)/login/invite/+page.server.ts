import { redirect } from '@sveltejs/kit';
import { publicPage } from '$lib/server/pages/groups';
import type { Actions, PageServerLoad } from './$types';

/**
 * The token rides in the query (as the setup link's does). The page and everything it loads send
 * only the origin as Referer (`strict-origin`; `no-referrer` would also blank the Origin header of
 * the form's POST, which the CSRF check needs), and no cache may keep it.
 */
const HEADERS = { 'referrer-policy': 'strict-origin', 'cache-control': 'private, no-store' };

function tokenOf(url: URL): string {
	return url.searchParams.get('token') ?? '';
}

// A link that is not live shows why on the page itself (the person cannot do anything else here).
export const load: PageServerLoad = publicPage.load(async ({ api, event }) => {
	event.setHeaders(HEADERS);
	const token = tokenOf(event.url);
	const status =
		token.length > 0 && token.length <= 128
			? await api.invitations.status({ token })
			: { valid: false as const };
	return {
		invitation: status.valid ? { username: status.username, expiresAt: status.expiresAt } : null
	};
});

export const actions: Actions = {
	// Signing in comes next, as always: the password, then a code sent to the address just proven.
	default: publicPage.action(async ({ api, event, text }) => {
		const { username } = await api.invitations.accept({
			token: tokenOf(event.url),
			password: text('password')
		});
		redirect(303, `/login?invited=${encodeURIComponent(username)}`);
	})
};
