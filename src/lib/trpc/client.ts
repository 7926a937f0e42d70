// The browser's tRPC client. It imports only the router's *type*: no server code ships to the page.
import type { AppRouter } from '$lib/server/trpc/router';
import superjson from 'superjson';
import { createTRPCClient, type TRPCClientInit } from 'trpc-sveltekit';

let browserClient: ReturnType<typeof createTRPCClient<AppRouter>> | undefined;

/** In components call `trpc()`; in universal `load` functions pass the event: `trpc(event)`. */
export function trpc(init?: TRPCClientInit) {
	const isBrowser = typeof window !== 'undefined';
	if (isBrowser && browserClient) return browserClient;
	const client = createTRPCClient<AppRouter>({ init, transformer: superjson });
	if (isBrowser) browserClient = client;
	return client;
}
