import { appPage } from '$lib/server/pages/groups';
import { resourceAt } from '$lib/server/pages/resource-api';
import type { LayoutServerLoad } from './$types';

// The resource the URL names, described for the pages below (fields, list settings, what the
// role may do). Unknown, or not readable by this role: 404, the same answer for both, so the URL
// does not tell which resources exist. Each page's own load and actions run the guard and their
// procedures check again; this layout only supplies the description.
export const load: LayoutServerLoad = appPage.load(async ({ api, event }) => ({
	resource: (await resourceAt(api, event)).resource
}));
