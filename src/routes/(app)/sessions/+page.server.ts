import { requireVerified } from '$lib/server/auth/page-guards';
import { failFromError } from '$lib/server/trpc/form-errors';
import { createServerCaller } from '$lib/server/trpc/caller';
import type { Actions, PageServerLoad } from './$types';

// Admins see everyone's sessions, members their own; the procedures enforce the same split.
export const load: PageServerLoad = async (event) => {
	const { user, session } = requireVerified(event);
	const api = await createServerCaller(event);
	if (user.role !== 'admin') {
		const sessions = await api.account.sessions();
		return {
			everyone: false,
			sessions,
			users: 1,
			myOthers: sessions.filter((entry) => !entry.current).length
		};
	}
	const sessions = (await api.sessions.all()).map((entry) => ({
		...entry,
		current: entry.publicId === session.publicId
	}));
	return {
		everyone: true,
		sessions,
		users: new Set(sessions.map((entry) => entry.userId)).size,
		myOthers: sessions.filter((entry) => entry.userId === user.id && !entry.current).length
	};
};

export const actions: Actions = {
	revoke: async function revokeSession(event) {
		requireVerified(event);
		const publicId = String((await event.request.formData()).get('publicId') ?? '');
		const api = await createServerCaller(event);
		try {
			await api.sessions.revoke({ publicId });
		} catch (error) {
			return failFromError(error);
		}
		return { revoked: true };
	},

	revokeOthers: async function revokeOtherSessions(event) {
		requireVerified(event);
		const api = await createServerCaller(event);
		try {
			return { ended: (await api.sessions.revokeOthers()).ended };
		} catch (error) {
			return failFromError(error);
		}
	}
};
