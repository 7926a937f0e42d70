import type { PageServerLoad } from './$types';
import { createServerCaller } from '$lib/server/trpc/caller';

export const load: PageServerLoad = async (event) => {
	const api = await createServerCaller(event);
	// A broken database should show on the page, not turn the home page into a 500.
	const health = await api.health().catch(() => null);
	return { health };
};
