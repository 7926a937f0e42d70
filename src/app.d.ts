import type { ApiTokenInfo, SessionInfo, SessionUser } from '$lib/server/auth/types';

// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
	namespace App {
		interface Locals {
			user: SessionUser | null;
			session: SessionInfo | null;
			/** The raw token, for the auth procedures that end or promote this session. */
			sessionToken: string | null;
			sessionTransport: 'cookie' | 'bearer' | null;
			/** Set when a personal API token authenticated the request (then `sessionToken` is null). */
			apiToken: ApiTokenInfo | null;
		}
		interface Error {
			message: string;
		}
		/** Set by the root layout's load, so every page and component can read it from `page.data`. */
		interface PageData {
			/** APP_NAME: titles, the header, files the app offers for download. */
			appName: string;
			/** How long a verified code allows sensitive changes (the policy's step-up window). */
			stepUpMinutes: number;
		}
	}
}

export {};
