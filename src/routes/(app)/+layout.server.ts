import { getConfig } from '$lib/server/config';
import { appPage } from '$lib/server/pages/groups';
import { catalogOf } from '$lib/server/pages/resource-api';
import type { LayoutServerLoad } from './$types';

// For the navigation only: each page's own load and actions run the group's guard again (a layout
// alone does not protect a route, since pages can be loaded without re-running it).
export const load: LayoutServerLoad = appPage.load(async ({ user, api, event }) => {
	const config = getConfig();
	return {
		isAdmin: user.role === 'admin',
		// The resources this role may read, for the nav.
		resources: (await catalogOf(api, event)).map(({ label, path }) => ({ label, path })),
		devOutbox: config.mail.transport === 'outbox' && config.env !== 'production'
	};
});
