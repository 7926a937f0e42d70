import { fail } from '@sveltejs/kit';
import { AccountLinkInvalidError } from '$lib/server/errors';
import { publicPage } from '$lib/server/pages/groups';
import type { Actions, PageServerLoad } from './$types';

// The "this wasn't me" link mailed to the old address. Opening it (GET) only shows the button, so
// a mail scanner that fetches links signs nobody out; the POST spends it. No sign-in needed: the
// owner may be locked out of their own account.
export const load: PageServerLoad = publicPage.load(() => ({}));

export const actions: Actions = {
	default: publicPage.action(async ({ api, event }) => {
		const token = event.url.searchParams.get('token') ?? '';
		// No token at all is a broken link, not a form to correct.
		if (!token) return fail(404, { message: new AccountLinkInvalidError().message });
		return { reported: await api.emailChange.report({ token }) };
	})
};
