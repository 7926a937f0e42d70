import { redirect } from '@sveltejs/kit';
import { ENROLMENT_PATH } from '$lib/server/auth/page-guards';
import { getConfig } from '$lib/server/config';
import { enrolmentPage } from '$lib/server/pages/groups';
import { catalogOf } from '$lib/server/pages/resource-api';
import type { LayoutServerLoad } from './$types';

// For the navigation only: each page's own load and actions run the group's guard again (a layout
// alone does not protect a route, since pages can be loaded without re-running it). A session that
// must first set up a factor its role requires (FACTOR_POLICY) is sent to the enrolment page, and
// sees no other link: every other procedure refuses it.
export const load: LayoutServerLoad = enrolmentPage.load(
	async ({ user, api, event, enrolment }) => {
		const config = getConfig();
		const devOutbox = config.mail.transport === 'outbox' && config.env !== 'production';
		if (enrolment.length > 0) {
			if (event.url.pathname !== ENROLMENT_PATH) redirect(303, ENROLMENT_PATH);
			return { isAdmin: false, resources: [], devOutbox, enrolment: true };
		}
		return {
			isAdmin: user.role === 'admin',
			// The resources this role may read, for the nav.
			resources: (await catalogOf(api, event)).map(({ label, path }) => ({ label, path })),
			devOutbox,
			enrolment: false
		};
	}
);
