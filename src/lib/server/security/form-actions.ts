// Which form action a POST to a page may run. SvelteKit looks the name up as `actions[name]`, so
// `?/constructor`, `?/toString` or `?/__proto__` reach Object.prototype: a built-in called with
// the request event, a 500 and an error in the log, on any page, for anyone. `?/default` throws
// as well. Only names the page itself defines get through; anything else is a 404.
import { json, type RequestEvent } from '@sveltejs/kit';

/**
 * The form actions of the page at a route id (an empty set for a page without any), or null for
 * a route that also answers as an endpoint (+server), whose POSTs are its own business.
 */
export type PageActionsLookup = (routeId: string) => Promise<ReadonlySet<string> | null>;

/** The 404 for a POST naming an action its page does not have; null to let it through. */
export async function refuseUnknownAction(
	event: Pick<RequestEvent, 'request' | 'route'>,
	pageActions: PageActionsLookup
): Promise<Response | null> {
	if (event.request.method !== 'POST' || event.route.id === null) return null;
	const actions = await pageActions(event.route.id);
	if (!actions) return null;
	const name = requestedAction(new URL(event.request.url));
	if (name !== null && actions.has(name)) return null;
	return notFound(event.request);
}

/**
 * The action a POST names, read as SvelteKit reads it: the first query parameter whose name
 * starts with `/`, else `default`. Null for `?/default`, a reserved name SvelteKit throws on.
 */
export function requestedAction(url: URL): string | null {
	for (const [key] of url.searchParams) {
		if (!key.startsWith('/')) continue;
		const name = key.slice(1);
		return name === 'default' ? null : name;
	}
	return 'default';
}

/** SvelteKit's own answer to an unknown action: JSON for `use:enhance`, text for a plain form. */
function notFound(request: Request): Response {
	const accept = request.headers.get('accept') ?? '';
	if (accept.includes('text/html')) {
		const headers = { 'content-type': 'text/plain; charset=utf-8' };
		return new Response('Not Found', { status: 404, headers });
	}
	return json({ type: 'error', error: { message: 'Not Found' } }, { status: 404 });
}
