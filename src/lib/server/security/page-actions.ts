// The form actions of every page, read from the route files themselves: a page added later is
// covered with no list to keep. Route ids are the folders under src/routes (`/(auth)/login`).
type PageServerModule = { actions?: Record<string, unknown> };

const ROUTES = '/src/routes';

// Lazy: a route's module is loaded on its first POST, as SvelteKit itself would load it.
const pageServers = byRouteId(
	import.meta.glob<PageServerModule>('/src/routes/**/+page.server.{ts,js}')
);
const endpoints = byRouteId(import.meta.glob('/src/routes/**/+server.{ts,js}'));

/**
 * The actions the page at `routeId` defines (own keys only: nothing inherited from
 * Object.prototype is an action), or null for a route with an endpoint.
 */
export async function pageActionsOf(routeId: string): Promise<ReadonlySet<string> | null> {
	if (endpoints.has(routeId)) return null;
	const load = pageServers.get(routeId);
	const actions = load ? (await load()).actions : undefined;
	return new Set(actions ? Object.keys(actions) : []);
}

function byRouteId<T>(files: Record<string, T>): Map<string, T> {
	return new Map(
		Object.entries(files).map(([file, value]) => [
			file.slice(ROUTES.length, file.lastIndexOf('/')) || '/',
			value
		])
	);
}
