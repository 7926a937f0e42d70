// Checks for `load` functions and actions. A layout alone does not protect a route, so every load
// and action of a protected page runs one: the page groups (`$lib/server/pages/groups`) call them.
import { error, redirect, type RequestEvent } from '@sveltejs/kit';
import type { FactorKind } from '../config';
import { enrolmentKindsOf } from './factor-policy';
import { getPolicy } from './policy';
import type { SessionInfo, SessionUser } from './types';

export interface VerifiedLocals {
	user: SessionUser;
	session: SessionInfo;
}

/** Where a session that must first set up a factor its role requires (FACTOR_POLICY) is sent. */
export const ENROLMENT_PATH = '/account/security';

/**
 * A verified session, also one that must first set up a required factor: `enrolment` lists the
 * kinds it must set up one of (empty when it is free). For the enrolment page and the (app)
 * layout, which send such a session there; a pending one goes to the code step, anyone else to
 * login.
 */
export function requireVerifiedOrEnrolling(
	event: Pick<RequestEvent, 'locals' | 'url'>
): VerifiedLocals & { enrolment: readonly FactorKind[] } {
	const { user, session } = event.locals;
	if (user && session?.state === 'verified') {
		return { user, session, enrolment: enrolmentKindsOf(getPolicy().factors, user.role, session) };
	}
	const back = encodeURIComponent(event.url.pathname + event.url.search);
	if (session?.state === 'pending_otp') redirect(303, `/login/verify?redirectTo=${back}`);
	redirect(303, `/login?redirectTo=${back}`);
}

/**
 * The verified user, or a redirect: to the code step when pending, to login otherwise, and to the
 * enrolment page when the session must first set up a factor its role requires.
 */
export function requireVerified(event: Pick<RequestEvent, 'locals' | 'url'>): VerifiedLocals {
	const { user, session, enrolment } = requireVerifiedOrEnrolling(event);
	if (enrolment.length > 0) redirect(303, ENROLMENT_PATH);
	return { user, session };
}

/** A verified administrator, or `requireVerified`'s redirect, or a 403 for anyone else. */
export function requireAdmin(event: Pick<RequestEvent, 'locals' | 'url'>): VerifiedLocals {
	const verified = requireVerified(event);
	if (verified.user.role !== 'admin') error(403, 'Administrators only');
	return verified;
}
