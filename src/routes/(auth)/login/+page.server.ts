import { redirect } from '@sveltejs/kit';
import { safeRedirectPath } from '$lib/server/auth/redirect';
import { failFromError } from '$lib/server/trpc/form-errors';
import { createServerCaller } from '$lib/server/trpc/caller';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, url }) => {
	const redirectTo = url.searchParams.get('redirectTo');
	if (locals.session?.state === 'verified') redirect(303, safeRedirectPath(redirectTo));
	if (locals.session?.state === 'pending_otp') redirect(303, `/login/verify${url.search}`);
	return { setupDone: url.searchParams.has('setup') };
};

export const actions: Actions = {
	default: async function login(event) {
		const form = await event.request.formData();
		const username = String(form.get('username') ?? '');
		const password = String(form.get('password') ?? '');
		const api = await createServerCaller(event);
		let pending;
		try {
			pending = await api.auth.login({ username, password, tokenType: 'cookie' });
		} catch (error) {
			return failFromError(error, { username });
		}
		// The code step shows where the code went and when it expires; none of it is secret.
		// redirectTo is only checked (and honoured) after the code step.
		const query = new URLSearchParams();
		const redirectTo = event.url.searchParams.get('redirectTo');
		if (redirectTo) query.set('redirectTo', redirectTo);
		if (pending.email) query.set('to', pending.email);
		if (pending.expiresAt) query.set('expires', String(pending.expiresAt.getTime()));
		if (pending.resendAvailableAt) query.set('resend', String(pending.resendAvailableAt.getTime()));
		if (pending.expiresAt && !pending.codeSent) query.set('unsent', '1');
		redirect(303, `/login/verify?${query}`);
	}
};
