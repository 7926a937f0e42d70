import { getConfig } from '$lib/server/config';
import { requireVerified } from '$lib/server/auth/page-guards';
import type { LayoutServerLoad } from './$types';

// For the navigation only: each page's own load checks access again (a layout alone does not
// protect a route, since pages can be loaded without re-running it).
export const load: LayoutServerLoad = (event) => {
	const { user } = requireVerified(event);
	const config = getConfig();
	return {
		isAdmin: user.role === 'admin',
		devOutbox: config.mail.transport === 'outbox' && config.env !== 'production'
	};
};
