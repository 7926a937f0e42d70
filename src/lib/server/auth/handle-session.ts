import { error, type Handle, type RequestEvent } from '@sveltejs/kit';
import superjson from 'superjson';
import { getDatabase } from '../db';
import { DatabaseUnavailableError } from '../db/unavailable';
import { authenticate, localsOf, type Authentication } from './authenticate';
import { getPolicy } from './policy';
import { readSessionToken, serializeSessionCookie, type PresentedToken } from './session-cookie';

const UNAVAILABLE_MESSAGE = 'The service is unavailable for a moment. Try again shortly';

/**
 * Fills `locals` from the cookie or bearer token (a session, or a personal API token): one
 * indexed query per request, a write only when activity is due to be recorded. Every protected
 * page and procedure checks `locals` itself; this hook only says who is asking.
 *
 * When the database cannot say (down, hung), the request stops here with 503: going on as
 * anonymous would log the user out of pages and hand `auth.me` a false "signed out".
 */
export function createSessionHandle(options: { trpcPrefix: string }): Handle {
	return async ({ event, resolve }) => {
		const presented = readSessionToken(event);
		let valid: Authentication | null;
		try {
			valid = presented ? await authenticateRequest(event, presented) : null;
		} catch (caught) {
			if (!(caught instanceof DatabaseUnavailableError)) throw caught;
			console.error('[db] session not checked:', caught.message);
			if (event.url.pathname.startsWith(options.trpcPrefix + '/')) {
				return trpcUnavailableResponse(event.url, options.trpcPrefix);
			}
			// Pages: SvelteKit's fallback error page (src/error.html) with this status and message;
			// client-side navigations get it as JSON and show +error.svelte.
			error(503, UNAVAILABLE_MESSAGE);
		}
		Object.assign(event.locals, localsOf(valid));
		const response = await resolve(event);
		if (presented?.transport === 'cookie' && (!valid || valid.renewed)) {
			// A dead cookie is cleared; a renewed one gets its new expiry. A procedure that set the
			// cookie itself in this request (login, promotion, logout) has the last word.
			const already = response.headers.getSetCookie().some((line) => line.includes('session='));
			if (!already) {
				response.headers.append(
					'set-cookie',
					serializeSessionCookie(
						event,
						valid ? presented.token : null,
						valid?.session.expiresAt ?? new Date(0)
					)
				);
			}
		}
		return response;
	};
}

function authenticateRequest(
	event: RequestEvent,
	presented: PresentedToken
): Promise<Authentication | null> {
	return authenticate(getDatabase().db, presented, getPolicy().session, {
		ip: () => event.getClientAddress(),
		userAgent: event.request.headers.get('user-agent')
	});
}

/** tRPC's error envelope (one per call of a batch), as @trpc/client reads any other error. */
function trpcUnavailableResponse(url: URL, prefix: string): Response {
	// tRPC 10 has no SERVICE_UNAVAILABLE; tRPC 11 names it so, with JSON-RPC's internal error number.
	const error = superjson.serialize({
		message: UNAVAILABLE_MESSAGE,
		code: -32603,
		data: { code: 'SERVICE_UNAVAILABLE', httpStatus: 503 }
	});
	const calls = url.pathname.slice(prefix.length + 1).split(',').length;
	const body = url.searchParams.has('batch')
		? Array.from({ length: calls }, () => ({ error }))
		: { error };
	return new Response(JSON.stringify(body), {
		status: 503,
		headers: { 'content-type': 'application/json', 'retry-after': '5' }
	});
}
