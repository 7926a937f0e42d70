import { appPage } from '$lib/server/pages/groups';
import type { Actions, PageServerLoad } from './$types';

// Admins see everyone's sessions, members their own; the procedures enforce the same split.
export const load: PageServerLoad = appPage.load(async ({ api, user, session }) => {
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
});

export const actions: Actions = {
	revoke: appPage.action(async ({ api, text }) => {
		await api.sessions.revoke({ publicId: text('publicId') });
		return { revoked: true };
	}),

	revokeOthers: appPage.action(async ({ api }) => ({
		ended: (await api.sessions.revokeOthers()).ended
	}))
};
