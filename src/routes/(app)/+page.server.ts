import { requireVerified } from '$lib/server/auth/page-guards';
import { createServerCaller } from '$lib/server/trpc/caller';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { user } = requireVerified(event);
	if (user.role !== 'admin') return { dashboard: null };
	const api = await createServerCaller(event);
	return { dashboard: await api.audit.dashboard() };
};
