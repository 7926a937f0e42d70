import { appPage } from '$lib/server/pages/groups';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = appPage.load(async ({ api, user }) => {
	if (user.role !== 'admin') return { dashboard: null };
	return { dashboard: await api.audit.dashboard() };
});
