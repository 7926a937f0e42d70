import { themeOf } from '$lib/server/theme';
import type { LayoutServerLoad } from './$types';

// Only what every layout shows; pages check access themselves.
export const load: LayoutServerLoad = ({ locals, cookies }) => ({
	theme: themeOf(cookies),
	user:
		locals.session?.state === 'verified' && locals.user
			? { id: locals.user.id, username: locals.user.username, role: locals.user.role }
			: null
});
