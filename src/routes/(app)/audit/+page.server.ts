import { redirect } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { adminPage } from '$lib/server/pages/groups';
import type { ServerCaller } from '$lib/server/pages/page-group';
import type { PageServerLoad } from './$types';

const FILTERS = ['event', 'user', 'resource', 'from', 'to', 'page'] as const;
type Query = Partial<Record<(typeof FILTERS)[number], string>>;
type Api = ServerCaller;

const DAY_MS = 24 * 60 * 60 * 1000;
/** Longer than any email address (ids and usernames are shorter still): names nobody. */
const MAX_EMAIL_LENGTH = 254;
/** audit.list's own bound. */
const MAX_PAGE = 100_000;
/** How much of a bad value a message repeats. */
const ECHO_LENGTH = 64;

/** The start of a `YYYY-MM-DD` day in UTC; null for anything else. */
function dayStart(value: string | undefined): Date | null {
	if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
	const date = new Date(`${value}T00:00:00Z`);
	return Number.isNaN(date.getTime()) ? null : date;
}

/** A refusal of the value itself (no such user, or not even a well-formed id or search). */
function isRefused(cause: unknown): boolean {
	return cause instanceof TRPCError && ['NOT_FOUND', 'BAD_REQUEST'].includes(cause.code);
}

/** An echo of what was typed, short enough for a message. */
function quoted(value: string): string {
	return `“${value.length > ECHO_LENGTH ? `${value.slice(0, ECHO_LENGTH)}…` : value}”`;
}

/**
 * The user a `user` filter names: by id (links from user pages), else by exact username or email.
 * Anything that cannot name a user (too long, malformed) names nobody: the page says so.
 */
async function findUser(api: Api, value: string): Promise<{ id: string; username: string } | null> {
	if (value.length > MAX_EMAIL_LENGTH) return null;
	try {
		return await api.users.get({ id: value });
	} catch (cause) {
		if (!isRefused(cause)) throw cause;
	}
	try {
		// Exact, not a search: a search's first page can miss "ann" among "anna", "joanne", ...
		return await api.users.find({ name: value });
	} catch (cause) {
		if (isRefused(cause)) return null;
		throw cause;
	}
}

/** The page number in the URL; anything but a whole number the list accepts means the first. */
function pageFrom(value: string | undefined): number {
	const page = Number(value ?? 1);
	return Number.isSafeInteger(page) && page >= 1 && page <= MAX_PAGE ? page : 1;
}

export const load: PageServerLoad = adminPage.load(async ({ api, event }) => {
	// Every filter lives in the URL, so a view can be bookmarked, linked and used without JavaScript.
	const query: Query = Object.fromEntries(
		FILTERS.flatMap((name) => {
			const value = event.url.searchParams.get(name)?.trim();
			return value ? [[name, value]] : [];
		})
	);
	const subject = query.user ? await findUser(api, query.user) : null;
	if (subject && subject.id !== query.user) {
		// A username was typed: keep the id in the URL, as links from user pages do.
		const params = new URLSearchParams(event.url.searchParams);
		params.set('user', subject.id);
		params.delete('page');
		redirect(303, `?${params}`);
	}

	const events = await api.audit.events();
	const eventFilter = events.find((name) => name === query.event);
	// The resources whose rows the log may be about, for the filter (an admin reads them all).
	const resources = (await api.resourceCatalog()).map(({ name, label }) => ({ name, label }));
	const resourceFilter = resources.find((resource) => resource.name === query.resource)?.name;
	const from = dayStart(query.from);
	const to = dayStart(query.to);
	const problems = [
		query.user && !subject ? `No user ${quoted(query.user)}` : null,
		query.from && !from ? 'The “from” date is not a date' : null,
		query.to && !to ? 'The “to” date is not a date' : null,
		from && to && from > to ? 'The “from” date is after the “to” date' : null,
		query.event && !eventFilter ? `Unknown event ${quoted(query.event)}` : null,
		query.resource && !resourceFilter ? `Unknown resource ${quoted(query.resource)}` : null
	].filter((problem) => problem !== null);

	const page = pageFrom(query.page);
	let result: Awaited<ReturnType<Api['audit']['list']>> = {
		entries: [],
		total: 0,
		totalCapped: false
	};
	if (problems.length === 0) {
		try {
			result = await api.audit.list({
				event: eventFilter,
				userId: subject?.id,
				resource: resourceFilter,
				from: from ?? undefined,
				// The "to" day is included: the list stops before the next day starts.
				to: to ? new Date(to.getTime() + DAY_MS) : undefined,
				page,
				pageSize: 50
			});
		} catch (cause) {
			if (!(cause instanceof TRPCError && cause.code === 'BAD_REQUEST')) throw cause;
			problems.push('Those filters are not valid');
		}
	}
	return {
		...result,
		events,
		resources,
		query,
		page,
		subject: subject ? { id: subject.id, username: subject.username } : null,
		problems,
		filtered: FILTERS.some((name) => name !== 'page' && query[name])
	};
});
