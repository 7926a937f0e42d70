import { redirect } from '@sveltejs/kit';
import { getPolicy } from '$lib/server/auth/policy';
import { safeRedirectPath } from '$lib/server/auth/redirect';
import { jsonField } from '$lib/server/pages/form-json';
import { publicPage } from '$lib/server/pages/groups';
import {
	carriedQuery,
	pastedCode,
	SECOND_STEP_METHODS,
	queryForEachMethod,
	timeParam,
	type SecondStepMethod
} from '$lib/server/pages/second-step';
import type { Actions, PageServerLoad } from './$types';

// What the login and resend actions put in the URL for this page; nothing in it is secret.
// `method` is the way the person chose to finish (a link of "use another way").
const CARRIED = ['redirectTo', 'to', 'expires', 'resend', 'method'] as const;

export const load: PageServerLoad = publicPage.load(async ({ api, event: { locals, url } }) => {
	if (locals.session?.state === 'verified') {
		redirect(303, safeRedirectPath(url.searchParams.get('redirectTo')));
	}
	if (!locals.user || locals.session?.state !== 'pending_otp') redirect(303, '/login');
	const me = await api.auth.me();
	const pending = me && !('user' in me) ? me : null;
	// The account's factors, preferred first; backup tokens are offered whatever the count.
	const factors = (pending?.methods ?? []).filter(
		(method): method is Exclude<SecondStepMethod, 'backup_token'> => method !== 'backup_token'
	);
	const asked = url.searchParams.has('backup') ? 'backup_token' : url.searchParams.get('method');
	const method: SecondStepMethod =
		SECOND_STEP_METHODS.find((m) => m === asked && (m === 'backup_token' || factors.includes(m))) ??
		factors[0] ??
		'backup_token';
	return {
		method,
		factors,
		// FACTOR_POLICY: the kinds this person's role requires and they do not have yet; after this
		// step they are sent to set one up (the page says so before they go on).
		toEnrol: pending?.factors.enrolmentRequired ? pending.factors.required : [],
		// Where an emailed code goes, masked (`a***e@example.com`).
		email: pending?.email ?? null,
		// Set once a code was emailed to this session (at the password step, or when chosen).
		expiresAt: timeParam(url, 'expires'),
		resendAt: timeParam(url, 'resend'),
		unsent: url.searchParams.has('unsent'),
		resent: url.searchParams.has('resent'),
		// "Don't ask again on this device for N days"; 0: remembering is off, no checkbox.
		rememberDeviceDays: Math.floor(getPolicy().rememberDeviceMs / 86_400_000),
		now: Date.now(),
		query: carriedQuery(url, CARRIED).toString(),
		/** This page's query with each method chosen, for the forms and "use another way". */
		queryFor: queryForEachMethod(url, CARRIED)
	};
});

// A pending session is the procedures' own check (auth.verifyOtp and auth.resendOtp).
export const actions: Actions = {
	// The form says which method its code is for: an authenticator's six digits are not an
	// emailed code. The email form sends none, so a backup token typed there still works.
	verify: publicPage.action(async ({ api, event, form, text }) => {
		const method = text('method');
		// An unticked box is not sent at all.
		const rememberDevice = form.get('rememberDevice') === 'on';
		await api.auth.verifyOtp({
			code: pastedCode(text('code')),
			...(method === 'totp' || method === 'backup_token' ? { method } : {}),
			rememberDevice
		});
		redirect(303, safeRedirectPath(event.url.searchParams.get('redirectTo')));
	}),

	// A security key: the options (a challenge for this pending session), then the key's answer,
	// which signs in like a right code. A failure is shown with the key's button.
	securityKeyOptions: publicPage.action(
		async ({ api }) => ({ securityKeyOptions: await api.auth.webauthn.options() }),
		{ failure: { securityKey: true } }
	),

	securityKeyVerify: publicPage.action(
		async ({ api, event, form, text }) => {
			await api.auth.webauthn.verify({
				response: jsonField(text('response')) as never,
				rememberDevice: form.get('rememberDevice') === 'on'
			});
			redirect(303, safeRedirectPath(event.url.searchParams.get('redirectTo')));
		},
		{ failure: { securityKey: true } }
	),

	// The first code when email is chosen among other factors, or a new one; a failure is shown
	// next to the send button rather than the code field.
	resend: publicPage.action(
		async ({ api, event }) => {
			const sent = await api.auth.resendOtp();
			const query = carriedQuery(event.url, CARRIED);
			const first = !query.has('expires');
			query.set('method', 'email');
			query.set('expires', String(sent.expiresAt.getTime()));
			query.set('resend', String(sent.resendAvailableAt.getTime()));
			if (!first) query.set('resent', '1');
			redirect(303, `/login/verify?${query}`);
		},
		{ failure: { resendFailed: true } }
	)
};
