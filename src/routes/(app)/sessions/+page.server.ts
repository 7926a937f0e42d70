import { appPage } from '$lib/server/pages/groups';
import { loadPage, pageQuery, pagingOf } from '$lib/server/pages/paging';
import type { Actions, PageServerLoad } from './$types';

// Admins see everyone's sessions, members their own, a page at a time either way; the procedures
// enforce the same split. This request's own session is one of the caller's live ones, so their
// other sessions number one less than their total, whichever page is shown.
export const load: PageServerLoad = appPage.load(async ({ api, user, session, event }) => {
	const query = pageQuery(event.url);
	const paging = pagingOf(query);
	if (user.role !== 'admin') {
		const mine = await loadPage(() => api.account.sessions(query));
		return {
			everyone: false,
			sessions: mine.sessions,
			paging: { ...paging, total: mine.total },
			users: 1,
			myOthers: Math.max(0, mine.total - 1)
		};
	}
	const listed = await loadPage(() => api.sessions.all(query));
	// The admin's own other sessions may be on any page: only their count is needed.
	const mine = await api.account.sessions({ pageSize: 10 });
	return {
		everyone: true,
		sessions: listed.sessions.map((entry) => ({
			...entry,
			current: entry.publicId === session.publicId
		})),
		paging: { ...paging, total: listed.total },
		users: listed.userCount,
		myOthers: Math.max(0, mine.total - 1)
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
