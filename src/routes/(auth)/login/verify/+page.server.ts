import { redirect } from '@sveltejs/kit';
import { safeRedirectPath } from '$lib/server/auth/redirect';
import { jsonField } from '$lib/server/pages/form-json';
import { publicPage } from '$lib/server/pages/groups';
import type { Actions, PageServerLoad } from './$types';

// What the login and resend actions put in the URL for this page; nothing in it is secret.
const CARRIED = ['redirectTo', 'to', 'expires', 'resend'] as const;

/** A time in ms from the query string, or null. */
function timeParam(url: URL, name: string): number | null {
	const value = Number(url.searchParams.get(name));
	return Number.isSafeInteger(value) && value > 0 ? value : null;
}

/** The query this page passes on to its actions and redirects (forms replace the query string). */
function carriedQuery(url: URL): URLSearchParams {
	const query = new URLSearchParams();
	for (const name of CARRIED) {
		const value = url.searchParams.get(name);
		if (value) query.set(name, value);
	}
	return query;
}

// A masked address only (`a***e@example.com`): anything else in `to` is ignored.
const MASKED_EMAIL = /^[^\s@]?\*{1,3}[^\s@]?@[^\s@]{1,253}$/;

/** A code pasted as `123 456` or `123-456` is still the code; backup tokens keep their dashes. */
function pastedCode(input: string): string {
	const digits = input.replace(/[\s-]/g, '');
	return /^\d+$/.test(digits) ? digits : input;
}

function pageData({ locals, url }: Pick<Parameters<PageServerLoad>[0], 'locals' | 'url'>) {
	if (locals.session?.state === 'verified') {
		redirect(303, safeRedirectPath(url.searchParams.get('redirectTo')));
	}
	if (!locals.user || locals.session?.state !== 'pending_otp') redirect(303, '/login');
	const to = url.searchParams.get('to');
	const expiresAt = timeParam(url, 'expires');
	return {
		// Codes may go to a separate two-factor address: the login action passed it on masked.
		email: to && MASKED_EMAIL.test(to) ? to : null,
		hasEmail: Boolean(expiresAt || locals.user.email),
		expiresAt,
		resendAt: timeParam(url, 'resend'),
		unsent: url.searchParams.has('unsent'),
		resent: url.searchParams.has('resent'),
		backup: url.searchParams.has('backup'),
		now: Date.now(),
		query: carriedQuery(url).toString()
	};
}

export const load: PageServerLoad = publicPage.load(async ({ api, event }) => {
	const data = pageData(event);
	// Whether the account can finish with a security key (SecurityKeySignIn.svelte).
	const me = await api.auth.me();
	const securityKey = Boolean(me && 'methods' in me && me.methods.includes('webauthn'));
	return { ...data, securityKey };
});

// A pending session is the procedures' own check (auth.verifyOtp and auth.resendOtp).
export const actions: Actions = {
	verify: publicPage.action(async ({ api, event, text }) => {
		await api.auth.verifyOtp({ code: pastedCode(text('code')) });
		redirect(303, safeRedirectPath(event.url.searchParams.get('redirectTo')));
	}),

	// A security key: the options (a challenge for this pending session), then the key's answer,
	// which signs in like a right code. A failure is shown with the key's button.
	securityKeyOptions: publicPage.action(
		async ({ api }) => ({ securityKeyOptions: await api.auth.webauthn.options() }),
		{ failure: { securityKey: true } }
	),

	securityKeyVerify: publicPage.action(
		async ({ api, event, text }) => {
			await api.auth.webauthn.verify({ response: jsonField(text('response')) as never });
			redirect(303, safeRedirectPath(event.url.searchParams.get('redirectTo')));
		},
		{ failure: { securityKey: true } }
	),

	// A failure is shown next to the resend button rather than the code field.
	resend: publicPage.action(
		async ({ api, event }) => {
			const sent = await api.auth.resendOtp();
			const query = carriedQuery(event.url);
			query.set('expires', String(sent.expiresAt.getTime()));
			query.set('resend', String(sent.resendAvailableAt.getTime()));
			query.set('resent', '1');
			redirect(303, `/login/verify?${query}`);
		},
		{ failure: { resendFailed: true } }
	)
};
