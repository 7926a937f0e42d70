import { redirect } from '@sveltejs/kit';
import { safeRedirectPath } from '$lib/server/auth/redirect';
import { maskEmail } from '$lib/server/mail/address';
import { failFromError } from '$lib/server/trpc/form-errors';
import { createServerCaller } from '$lib/server/trpc/caller';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, url }) => {
	if (locals.session?.state === 'verified') {
		redirect(303, safeRedirectPath(url.searchParams.get('redirectTo')));
	}
	if (!locals.user || locals.session?.state !== 'pending_otp') redirect(303, '/login');
	return {
		email: locals.user.email ? maskEmail(locals.user.email) : null,
		// Form actions replace the query string: carry redirectTo over explicitly.
		redirectQuery: url.searchParams.has('redirectTo')
			? `&redirectTo=${encodeURIComponent(url.searchParams.get('redirectTo')!)}`
			: ''
	};
};

export const actions: Actions = {
	verify: async function verify(event) {
		const form = await event.request.formData();
		const api = await createServerCaller(event);
		try {
			await api.auth.verifyOtp({ code: String(form.get('code') ?? '') });
		} catch (error) {
			return failFromError(error);
		}
		redirect(303, safeRedirectPath(event.url.searchParams.get('redirectTo')));
	},

	resend: async function resend(event) {
		const api = await createServerCaller(event);
		try {
			await api.auth.resendOtp();
		} catch (error) {
			return failFromError(error);
		}
		return { resent: true };
	}
};
