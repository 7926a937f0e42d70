import type { Handle } from '@sveltejs/kit';
import { getDatabase } from '../db';
import { getPolicy } from './policy';
import { readSessionToken, serializeSessionCookie } from './session-cookie';
import { touchSession, validateSessionToken } from './session';

/**
 * Fills `locals` from the cookie or bearer token: one indexed query per request, a write only
 * when a verified session's sliding expiry moves. Every protected page and procedure checks
 * `locals` itself; this hook only says who is asking.
 */
export const handleSession: Handle = async ({ event, resolve }) => {
	event.locals.user = null;
	event.locals.session = null;
	event.locals.sessionToken = null;
	event.locals.sessionTransport = null;

	const presented = readSessionToken(event);
	if (!presented) return resolve(event);

	const valid = await validateSessionToken(getDatabase().db, presented.token, getPolicy().session);
	if (valid) {
		event.locals.user = valid.user;
		event.locals.session = valid.session;
		event.locals.sessionToken = presented.token;
		event.locals.sessionTransport = presented.transport;
		await touchSession(getDatabase().db, presented.token, valid.session.lastSeenAt);
	}
	const response = await resolve(event);
	if (presented.transport === 'cookie' && (!valid || valid.renewed)) {
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
