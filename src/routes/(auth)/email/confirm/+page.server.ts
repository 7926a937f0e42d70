import { TRPCError } from '@trpc/server';
import { fail } from '@sveltejs/kit';
import { AccountLinkInvalidError } from '$lib/server/errors';
import { publicPage } from '$lib/server/pages/groups';
import { publicMessage } from '$lib/server/trpc/errors';
import type { Actions, PageServerLoad } from './$types';

// The link mailed to a new account email. Opening it (GET) only shows what it would do and a
// button: mail scanners that fetch links must not confirm anything. The button's POST spends it.
export const load: PageServerLoad = publicPage.load(async ({ api, event }) => {
	const token = event.url.searchParams.get('token') ?? '';
	if (!token) return { change: null, problem: new AccountLinkInvalidError().message };
	try {
		return { change: await api.emailChange.check({ token }), problem: null };
	} catch (error) {
		if (!(error instanceof TRPCError)) throw error;
		return { change: null, problem: publicMessage(error) };
	}
});

export const actions: Actions = {
	default: publicPage.action(async ({ api, event }) => {
		const token = event.url.searchParams.get('token') ?? '';
		// No token at all is a broken link, not a form to correct.
		if (!token) return fail(404, { message: new AccountLinkInvalidError().message });
		return { confirmed: (await api.emailChange.confirm({ token })).email };
	})
};
