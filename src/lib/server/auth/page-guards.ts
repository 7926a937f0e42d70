// Checks for `load` functions and actions. A layout alone does not protect a route, so every load
// and action of a protected page runs one: the page groups (`$lib/server/pages/groups`) call them.
import { error, redirect, type RequestEvent } from '@sveltejs/kit';
import type { SessionInfo, SessionUser } from './types';

export interface VerifiedLocals {
	user: SessionUser;
	session: SessionInfo;
}

/** The verified user, or a redirect: to the code step when pending, to login otherwise. */
export function requireVerified(event: Pick<RequestEvent, 'locals' | 'url'>): VerifiedLocals {
	const { user, session } = event.locals;
	if (user && session?.state === 'verified') return { user, session };
	const back = encodeURIComponent(event.url.pathname + event.url.search);
	if (session?.state === 'pending_otp') redirect(303, `/login/verify?redirectTo=${back}`);
	redirect(303, `/login?redirectTo=${back}`);
}

/** A verified administrator, or `requireVerified`'s redirect, or a 403 for anyone else. */
export function requireAdmin(event: Pick<RequestEvent, 'locals' | 'url'>): VerifiedLocals {
	const verified = requireVerified(event);
	if (verified.user.role !== 'admin') error(403, 'Administrators only');
	return verified;
}
