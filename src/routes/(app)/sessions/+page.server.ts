import { error } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { appPage } from '$lib/server/pages/groups';
import type { Actions, PageServerLoad } from './$types';

/** `page` and `pageSize` from the URL, as text: the procedure's schema validates them. */
function pageQuery(url: URL): { page?: number; pageSize?: number } {
	const query = Object.fromEntries(
		['page', 'pageSize'].flatMap((name) => {
			const value = url.searchParams.get(name);
			return value ? [[name, value]] : [];
		})
	);
	return query as { page?: number; pageSize?: number };
}

// Admins see everyone's sessions, a page at a time, members their own; the procedures enforce
// the same split.
export const load: PageServerLoad = appPage.load(async ({ api, user, session, event }) => {
	if (user.role !== 'admin') {
		const sessions = await api.account.sessions();
		return {
			everyone: false,
			sessions,
			paging: null,
			users: 1,
			myOthers: sessions.filter((entry) => !entry.current).length
		};
	}
	const query = pageQuery(event.url);
	let listed;
	try {
		listed = await api.sessions.all(query);
	} catch (cause) {
		if (cause instanceof TRPCError && cause.code === 'BAD_REQUEST') {
			error(400, 'That page is not valid');
		}
		throw cause;
	}
	// The admin's own other sessions may be on any page: counted from their own list.
	const mine = await api.account.sessions();
	return {
		everyone: true,
		sessions: listed.sessions.map((entry) => ({
			...entry,
			current: entry.publicId === session.publicId
		})),
		paging: {
			page: Number(query.page ?? 1),
			pageSize: Number(query.pageSize ?? 25),
			total: listed.total
		},
		users: listed.userCount,
		myOthers: mine.filter((entry) => !entry.current).length
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
