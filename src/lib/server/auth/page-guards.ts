// Checks for `load` functions and actions. Every protected page calls one itself: a layout
// alone does not protect a route.
import { redirect, type RequestEvent } from '@sveltejs/kit';
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
