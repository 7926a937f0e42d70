import { getConfig } from '$lib/server/config';
import { appPage } from '$lib/server/pages/groups';
import { catalogOf } from '$lib/server/pages/resource-api';
import type { LayoutServerLoad } from './$types';

// For the navigation only: each page's own load and actions run the group's guard again (a layout
// alone does not protect a route, since pages can be loaded without re-running it).
export const load: LayoutServerLoad = appPage.load(async ({ user, api, event }) => {
	const config = getConfig();
	const me = await api.auth.me();
	return {
		// The step-up panel offers the authenticator first when the person has one.
		stepUpMethods: me && 'user' in me ? me.methods : [],
		isAdmin: user.role === 'admin',
		// The resources this role may read, for the nav.
		resources: (await catalogOf(api, event)).map(({ label, path }) => ({ label, path })),
		devOutbox: config.mail.transport === 'outbox' && config.env !== 'production',
		// The step-up panel offers a security key to those who have one (StepUp.svelte).
		hasSecurityKey: (await api.securityKeys.listMine()).keys.length > 0
	};
});
