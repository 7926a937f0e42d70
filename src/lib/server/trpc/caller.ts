import type { RequestEvent } from '@sveltejs/kit';
import { createContext } from './context';
import { createCaller } from './router';

/** The API as a page's `load` or form action sees it: every procedure, same tiers, no HTTP. */
export async function createServerCaller(event: RequestEvent) {
	return createCaller(await createContext(event));
}
