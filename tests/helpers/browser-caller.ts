// A browser at the server-side caller level: a cookie store that the procedures read and write
// through `ctx.event.cookies`, exactly as they do for a real request, so the session and
// remembered-device cookies can be followed (and tampered with) without a running server.
import type { Cookies, RequestEvent } from '@sveltejs/kit';
import type { Kysely } from 'kysely';
import { getPolicy, type AuthPolicy } from '$lib/server/auth/policy';
import { validateSessionToken } from '$lib/server/auth/session';
import { sessionCookieName } from '$lib/server/auth/session-cookie';
import type { Database } from '$lib/server/db/schema';
import { createContextInner } from '$lib/server/trpc/context';
import { createCaller } from '$lib/server/trpc/router';
import type { Caller, useApiHarness } from './api-harness';

/** The options a cookie was last set with (SvelteKit's `cookies.set`). */
export type CookieOptions = Parameters<Cookies['set']>[2];

/** One browser's cookies for one site. */
export class BrowserCookies {
	readonly values = new Map<string, string>();
	readonly options = new Map<string, CookieOptions>();

	constructor(readonly url = new URL('http://app.test/')) {}

	get(name: string): string | undefined {
		return this.values.get(name);
	}

	set(name: string, value: string): void {
		this.values.set(name, value);
	}

	delete(name: string): void {
		this.values.delete(name);
		this.options.delete(name);
	}

	/** The `event` a procedure sees: its cookies are this store. */
	event(): RequestEvent {
		const cookies: Cookies = {
			get: (name) => this.values.get(name),
			getAll: () => [...this.values].map(([name, value]) => ({ name, value })),
			set: (name, value, options) => {
				const gone = options.maxAge === 0 || (options.expires && options.expires.getTime() <= 0);
				if (gone || value === '') this.delete(name);
				else {
					this.values.set(name, value);
					this.options.set(name, options);
				}
			},
			delete: (name) => this.delete(name),
			serialize: () => ''
		};
		return { url: this.url, cookies } as unknown as RequestEvent;
	}
}

export interface BrowserOptions {
	/** Another policy (remembering off, say). */
	policy?: AuthPolicy;
	/** The procedures' database (the harness's with a plugin, say); sessions are read from the harness's. */
	db?: Kysely<Database>;
	ip?: string;
	userAgent?: string;
}

export const CHROME_ON_LINUX =
	'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36';

/**
 * A caller for the browser's next request: the session its cookie holds (if still valid), with the
 * request's event, as the session hook and tRPC handle would build it.
 */
export async function browserCaller(
	api: ReturnType<typeof useApiHarness>,
	browser: BrowserCookies,
	{ policy = getPolicy(), db, ip = '203.0.113.9', userAgent = CHROME_ON_LINUX }: BrowserOptions = {}
): Promise<Caller> {
	const token = browser.get(sessionCookieName(browser.url));
	const valid = token ? await validateSessionToken(api.db, token, policy.session) : null;
	return createCaller(
		createContextInner({
			db: db ?? api.db,
			dialect: api.database.dialect,
			mailer: api.mailer,
			policy,
			clientAddress: ip,
			userAgent,
			user: valid?.user ?? null,
			session: valid?.session ?? null,
			sessionToken: valid ? token! : null,
			sessionTransport: valid ? 'cookie' : null,
			event: browser.event()
		})
	);
}
