import { TRPCError } from '@trpc/server';
import { publicPage } from '$lib/server/pages/groups';
import { publicMessage } from '$lib/server/trpc/errors';
import type { Actions, PageServerLoad } from './$types';

// The link mailed to a new account email. Opening it (GET) only shows what it would do and a
// button: mail scanners that fetch links must not confirm anything. The button's POST spends it.
export const load: PageServerLoad = publicPage.load(async ({ api, event }) => {
	const token = event.url.searchParams.get('token') ?? '';
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
		return { confirmed: (await api.emailChange.confirm({ token })).email };
	})
};
