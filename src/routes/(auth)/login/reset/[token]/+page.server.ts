import { fail, redirect } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { CODE_METHODS } from '$lib/schemas/auth';
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

// What the page's own actions put in its URL: the chosen way, and an emailed code's times.
const CARRIED = ['method', 'expires', 'resend'] as const;

const NOT_A_LINK = 'This is not a password reset link. Ask for a new one.';

/** The new password, typed twice; a mismatch is refused here, before anything is checked. */
function mismatch(text: (name: string) => string) {
	if (text('password') === text('confirm')) return null;
	const fieldErrors: Record<string, string[] | undefined> = {
		confirm: ['Type the same password twice']
	};
	return fail(400, { message: 'The two passwords are not the same', fieldErrors });
}

export const load: PageServerLoad = publicPage.load(async ({ api, event }) => {
	const { params, url } = event;
	// The token is in the address: no other site learns it from a Referer, no cache keeps the page.
	// (Not `no-referrer`: Chromium then sends `Origin: null` with the forms, which the CSRF check
	// refuses.)
	event.setHeaders({ 'referrer-policy': 'same-origin', 'cache-control': 'private, no-store' });
	let info;
	try {
		info = await api.auth.passwordReset.describe({ token: params.token });
	} catch (cause) {
		if (!(cause instanceof TRPCError) || cause.code === 'INTERNAL_SERVER_ERROR') throw cause;
		return { invalid: cause.code === 'BAD_REQUEST' ? NOT_A_LINK : cause.message, reset: null };
	}
	const asked = url.searchParams.get('method');
	const method: SecondStepMethod =
		SECOND_STEP_METHODS.find((m) => m === asked && info.methods.includes(m)) ??
		info.methods[0] ??
		'email';
	return {
		invalid: null,
		reset: {
			method,
			methods: info.methods,
			email: info.email,
			linkExpiresAt: info.expiresAt.getTime(),
			codeExpiresAt: timeParam(url, 'expires'),
			resendAt: timeParam(url, 'resend'),
			queryFor: queryForEachMethod(url, CARRIED)
		}
	};
});

export const actions: Actions = {
	// An account whose one factor is email: the code it confirms the reset with.
	sendCode: publicPage.action(
		async ({ api, event }) => {
			const sent = await api.auth.passwordReset.sendCode({ token: event.params.token });
			const query = carriedQuery(event.url, CARRIED);
			query.set('method', 'email');
			query.set('expires', String(sent.expiresAt.getTime()));
			query.set('resend', String(sent.resendAvailableAt.getTime()));
			redirect(303, `${event.url.pathname}?${query}`);
		},
		{ failure: { sendFailed: true } }
	),

	complete: publicPage.action(async ({ api, event, text }) => {
		const refused = mismatch(text);
		if (refused) return refused;
		const method = CODE_METHODS.find((m) => m === text('method'));
		await api.auth.passwordReset.complete({
			token: event.params.token,
			password: text('password'),
			code: pastedCode(text('code')),
			...(method ? { method } : {})
		});
		redirect(303, '/login?reset=1');
	}),

	// A security key: the options, then the key's answer sent with the new password.
	securityKeyOptions: publicPage.action(
		async ({ api, event }) => ({
			securityKeyOptions: await api.auth.passwordReset.securityKeyOptions({
				token: event.params.token
			})
		}),
		{ failure: { securityKey: true } }
	),

	securityKeyComplete: publicPage.action(
		async ({ api, event, text }) => {
			const refused = mismatch(text);
			if (refused) return refused;
			await api.auth.passwordReset.completeWithSecurityKey({
				token: event.params.token,
				password: text('password'),
				response: jsonField(text('response')) as never
			});
			redirect(303, '/login?reset=1');
		},
		{ failure: { securityKey: true } }
	)
};
