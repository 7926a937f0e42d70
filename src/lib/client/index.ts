// The typed client for other tools: a plain Node (or any fetch-capable) script calls the admin
// API with full types and no SvelteKit. It imports only the router's *type* (./app-router).
// `npm run client:pack` builds it as a package that tools in other repositories install.
//
//   const api = createAdminClient({ url: 'https://admin.example.com', token: process.env.TOKEN! });
//   const { users } = await api.users.list.query({});
//
// Calls made in the same tick travel in one batch; the server takes at most 10 per batch.
import { createTRPCProxyClient, httpBatchLink, type CreateTRPCProxyClient } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import superjson from 'superjson';
import type { AppRouter } from './app-router';

export type { AppRouter };
export type AdminClient = CreateTRPCProxyClient<AppRouter>;
/** What every procedure takes, by path: `RouterInputs['users']['list']`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** What every procedure answers, by path: `RouterOutputs['users']['list']['users'][number]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export interface AdminClientOptions {
	/** The app's origin (`https://admin.example.com`); `/trpc` is added unless present. */
	url: string;
	/** A personal API token, or the bearer session token of an interactive sign-in. */
	token?: string;
	/** Your own fetch: for cookies, a proxy, or headers of your own. */
	fetch?: Fetch;
}

/** The tRPC endpoint for an app origin (or for the endpoint itself). */
export function trpcUrl(url: string): string {
	const trimmed = url.replace(/\/+$/, '');
	return trimmed.endsWith('/trpc') ? trimmed : `${trimmed}/trpc`;
}

export function createAdminClient(options: AdminClientOptions): AdminClient {
	const { token } = options;
	const doFetch: Fetch = options.fetch ?? ((url, init) => fetch(url, init));
	return createTRPCProxyClient<AppRouter>({
		transformer: superjson,
		links: [
			httpBatchLink({
				url: trpcUrl(options.url),
				// No Origin and no cookie: the server treats the call as a tool's, not a browser's.
				headers: () => (token ? { authorization: `Bearer ${token}` } : {}),
				fetch: (url, init) => doFetch(String(url), init as RequestInit)
			})
		]
	});
}

type LoginResult = RouterOutputs['auth']['login'];

/**
 * `auth.login`'s answer when the second step is still to come. (The other answer, `status:
 * 'verified'`, comes only to a browser whose remembered-device cookie stood in for it.)
 */
export type CodeRequired = Extract<LoginResult, { status: 'otp_required' }>;

export interface InteractiveSignIn {
	username: string;
	password: string;
	/** Asked once the password step passed; `login` says where the code went. */
	readCode: (login: CodeRequired) => Promise<string>;
	fetch?: Fetch;
}

/**
 * Password, then the emailed code (or a backup token), in bearer mode: returns a client of the
 * verified session. Each step's failure is thrown as the server's TRPCClientError.
 */
export async function signInInteractively(
	url: string,
	{ username, password, readCode, fetch }: InteractiveSignIn
): Promise<AdminClient> {
	const anonymous = createAdminClient({ url, fetch });
	const login = await anonymous.auth.login.mutate({ username, password, tokenType: 'bearer' });
	// A bearer sign-in always takes the second step: no remembered device stands in for it.
	if (login.status !== 'otp_required' || !login.sessionToken) {
		throw new Error('The server returned no session token');
	}
	const pending = createAdminClient({ url, token: login.sessionToken, fetch });
	const verified = await pending.auth.verifyOtp.mutate({ code: await readCode(login) });
	if (!verified.sessionToken) throw new Error('The server returned no session token');
	return createAdminClient({ url, token: verified.sessionToken, fetch });
}
