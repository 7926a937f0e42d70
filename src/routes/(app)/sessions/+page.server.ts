import { error } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { requireVerified } from '$lib/server/auth/page-guards';
import { failFromError } from '$lib/server/trpc/form-errors';
import { createServerCaller } from '$lib/server/trpc/caller';
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
export const load: PageServerLoad = async (event) => {
	const { user, session } = requireVerified(event);
	const api = await createServerCaller(event);
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
