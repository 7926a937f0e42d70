import type { Handle } from '@sveltejs/kit';
import { getDatabase } from '../db';
import { authenticate, localsOf } from './authenticate';
import { getPolicy } from './policy';
import { readSessionToken, serializeSessionCookie } from './session-cookie';

/**
 * Fills `locals` from the cookie or bearer token (a session, or a personal API token): one
 * indexed query per request, a write only when activity is due to be recorded. Every protected
 * page and procedure checks `locals` itself; this hook only says who is asking.
 */
export const handleSession: Handle = async ({ event, resolve }) => {
	const presented = readSessionToken(event);
	const valid = presented
		? await authenticate(getDatabase().db, presented, getPolicy().session, {
				ip: () => event.getClientAddress(),
				userAgent: event.request.headers.get('user-agent')
			})
		: null;
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
