import type { LayoutServerLoad } from './$types';

// Only what the header shows; pages check access themselves.
export const load: LayoutServerLoad = ({ locals }) => ({
	user:
		locals.session?.state === 'verified' && locals.user ? { username: locals.user.username } : null
});
