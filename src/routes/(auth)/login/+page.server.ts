import { redirect } from '@sveltejs/kit';
import { safeRedirectPath } from '$lib/server/auth/redirect';
import { publicPage } from '$lib/server/pages/groups';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, url }) => {
	const redirectTo = url.searchParams.get('redirectTo');
	if (locals.session?.state === 'verified') redirect(303, safeRedirectPath(redirectTo));
	if (locals.session?.state === 'pending_otp') redirect(303, `/login/verify${url.search}`);
	return { setupDone: url.searchParams.has('setup'), passwordReset: url.searchParams.has('reset') };
};

export const actions: Actions = {
	default: publicPage.action(
		async ({ api, event, text, values }) => {
			const pending = await api.auth.login({
				username: values.username,
				password: text('password'),
				tokenType: 'cookie'
			});
			const redirectTo = event.url.searchParams.get('redirectTo');
			// A remembered device stood in for the code: signed in already.
			if (pending.status === 'verified') redirect(303, safeRedirectPath(redirectTo));
			// The code step shows where the code went and when it expires; none of it is secret.
			// redirectTo is only checked (and honoured) after the code step.
			const query = new URLSearchParams();
			if (redirectTo) query.set('redirectTo', redirectTo);
			if (pending.email) query.set('to', pending.email);
			if (pending.expiresAt) query.set('expires', String(pending.expiresAt.getTime()));
			if (pending.resendAvailableAt) {
				query.set('resend', String(pending.resendAvailableAt.getTime()));
			}
			if (pending.expiresAt && !pending.codeSent) query.set('unsent', '1');
			redirect(303, `/login/verify?${query}`);
		},
		{ values: ['username'] }
	)
};
