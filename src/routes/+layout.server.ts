import { getPolicy } from '$lib/server/auth/policy';
import { getConfig } from '$lib/server/config';
import { themeOf } from '$lib/server/theme';
import type { LayoutServerLoad } from './$types';

// Only what every layout shows, and the facts the pages state (App.PageData); pages check access
// themselves.
export const load: LayoutServerLoad = ({ locals, cookies }) => ({
	appName: getConfig().appName,
	stepUpMinutes: getPolicy().stepUpWindowMs / 60_000,
	theme: themeOf(cookies),
	user:
		locals.session?.state === 'verified' && locals.user
			? { id: locals.user.id, username: locals.user.username, role: locals.user.role }
			: null
});
