import { enrolmentPage } from '$lib/server/pages/groups';
import { factorActions } from '../factor-actions';
import type { Actions, PageServerLoad } from './$types';

// Where a session is held when its role must have an authenticator app or a security key
// (FACTOR_POLICY) and the person signed in without one: the cards of the kinds the role accepts,
// nothing else. Their procedures are the few such a session may call (`enrolment: true`); once
// one kind is set up the mark is gone and the page says so.
export const load: PageServerLoad = enrolmentPage.load(async ({ api, enrolment }) => {
	const [totp, keys] = await Promise.all([
		enrolment.includes('totp') ? api.totp.status() : null,
		enrolment.includes('webauthn') ? api.securityKeys.listMine() : null
	]);
	return { kinds: [...enrolment], totp, securityKeys: keys?.keys ?? null };
});

export const actions: Actions = factorActions(enrolmentPage);
