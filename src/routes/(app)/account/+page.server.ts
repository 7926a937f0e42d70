import { requireVerified } from '$lib/server/auth/page-guards';
import { createServerCaller } from '$lib/server/trpc/caller';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { user } = requireVerified(event);
	const api = await createServerCaller(event);
	return { user, sessions: await api.account.sessions() };
};
