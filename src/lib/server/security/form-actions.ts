// What a POST to a page must be before SvelteKit runs one of its form actions.
// - The name: SvelteKit looks an action up as `actions[name]`, so `?/constructor`, `?/toString`
//   or `?/__proto__` reach Object.prototype (a built-in called with the request event: a 500 and
//   an error in the log, on any page, for anyone), and `?/default` throws. Only names the page
//   itself defines get through; anything else is a 404.
// - The body: actions read it with `request.formData()`, which throws (a 500 again) on the
//   text/plain bodies SvelteKit accepts as forms and on a malformed multipart body.
import { json, type RequestEvent } from '@sveltejs/kit';

/**
 * The form actions of the page at a route id (an empty set for a page without any), or null for
 * a route that also answers as an endpoint (+server), whose POSTs are its own business.
 */
export type PageActionsLookup = (routeId: string) => Promise<ReadonlySet<string> | null>;

/** The refusal of a POST that no action of its page can take; null to let it through. */
export async function refuseFormPost(
	event: Pick<RequestEvent, 'request' | 'route'>,
	pageActions: PageActionsLookup
): Promise<Response | null> {
	if (event.request.method !== 'POST' || event.route.id === null) return null;
	const actions = await pageActions(event.route.id);
	if (!actions) return null;
	const name = requestedAction(new URL(event.request.url));
	if (name === null || !actions.has(name)) return actionError(event.request, 404, 'Not Found');
	return refuseUnreadableForm(event.request);
}

/**
 * The action a POST names, read as SvelteKit reads it: the first query parameter whose name
 * starts with `/`, else `default`. Null for `?/default`, a reserved name SvelteKit throws on.
 */
function requestedAction(url: URL): string | null {
	for (const [key] of url.searchParams) {
		if (!key.startsWith('/')) continue;
		const name = key.slice(1);
		return name === 'default' ? null : name;
	}
	return 'default';
}

/** 415 unless the body is a form `formData()` can read; a multipart one is tried on a copy. */
async function refuseUnreadableForm(request: Request): Promise<Response | null> {
	const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
	if (type === 'application/x-www-form-urlencoded') return null;
	if (type !== 'multipart/form-data') {
		return actionError(request, 415, 'Form actions expect form-encoded data');
	}
	try {
		await request.clone().formData();
		return null;
	} catch (error) {
		// adapter-node ends a body over BODY_SIZE_LIMIT with an error of its own, status 413.
		if (isPayloadTooLarge(error)) return actionError(request, 413, 'Payload Too Large');
		return actionError(request, 400, 'Malformed form data');
	}
}

function isPayloadTooLarge(error: unknown): boolean {
	return typeof error === 'object' && error !== null && 'status' in error && error.status === 413;
}

/** The shape SvelteKit answers an action's error in: JSON for `use:enhance`, else plain text. */
function actionError(request: Request, status: number, message: string): Response {
	const accept = request.headers.get('accept') ?? '';
	if (accept.includes('text/html')) {
		const headers = { 'content-type': 'text/plain; charset=utf-8' };
		return new Response(message, { status, headers });
	}
	return json({ type: 'error', error: { message } }, { status });
}
