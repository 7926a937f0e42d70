// The guard of each route group, in one place. Pages build every `load` and form action from their
// group, so each one runs the guard itself: a layout does not protect the pages under it, and
// SvelteKit runs an action or a page's `load` (`__data.json`) without running the layout's.
import { requireAdmin, requireVerified, requireVerifiedOrEnrolling } from '../auth/page-guards';
import { definePageGroup } from './page-group';

/**
 * `(app)`: a verified session; a pending one goes to the code step, anyone else to login, and one
 * that must first set up a factor its role requires (FACTOR_POLICY) to the enrolment page.
 */
export const appPage = definePageGroup(requireVerified);

/**
 * The (app) layout and the enrolment page (`/account/security`): also a session that must first set
 * up a required factor (`enrolment` lists the kinds). Its procedures still decide what it may do.
 */
export const enrolmentPage = definePageGroup(requireVerifiedOrEnrolling);

/** The admin pages of `(app)` (users, audit): a verified administrator; members get a 403. */
export const adminPage = definePageGroup(requireAdmin);

/**
 * `(auth)`: sign-in, the code step and setup, open to anyone; their procedures decide who may
 * call them (a pending session, a valid setup token).
 */
export const publicPage = definePageGroup(() => ({}));
