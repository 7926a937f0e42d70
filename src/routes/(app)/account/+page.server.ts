import { fail, isActionFailure, type ActionFailure } from '@sveltejs/kit';
import { requireVerified } from '$lib/server/auth/page-guards';
import { stepUpActions } from '$lib/server/step-up-actions';
import { failFromError, type FormFailure } from '$lib/server/trpc/form-errors';
import { createServerCaller } from '$lib/server/trpc/caller';
import type { Actions, PageServerLoad } from './$types';

/** The card a form lives in, so a failure is shown next to the form that caused it. */
type Section = 'password' | 'twoFactor' | 'tokens' | 'apiTokens' | 'sessions';

/** Cards with step-up changes: the step-up panel's forms say which one asked (?section=). */
const STEP_UP_SECTIONS: readonly Section[] = ['twoFactor', 'tokens', 'apiTokens'];

function failIn(section: Section, error: unknown, values?: Record<string, string>) {
	const failure = failFromError(error, values);
	return fail(failure.status, { ...failure.data, section });
}

function stepUpSection(url: URL): Section {
	const named = url.searchParams.get('section');
	return STEP_UP_SECTIONS.find((section) => section === named) ?? 'apiTokens';
}

function inSection<T extends object>(section: Section, result: T | ActionFailure<FormFailure>) {
	if (isActionFailure(result)) {
		return fail(result.status, { ...(result.data as unknown as FormFailure), section });
	}
	return { ...(result as T), section };
}

export const load: PageServerLoad = async (event) => {
	const { user } = requireVerified(event);
	const api = await createServerCaller(event);
	const [profile, tokens, sessions, apiTokens] = await Promise.all([
		api.users.get({ id: user.id }),
		api.backupTokens.countMine(),
		api.account.sessions(),
		api.apiTokens.list()
	]);
	return { profile, tokensLeft: tokens.remaining, sessions, apiTokens };
};

export const actions: Actions = {
	changePassword: async function changePassword(event) {
		requireVerified(event);
		const form = await event.request.formData();
		const current = String(form.get('current') ?? '');
		const next = String(form.get('next') ?? '');
		if (next !== String(form.get('confirm') ?? '')) {
			const mismatch: FormFailure = {
				message: 'The new passwords do not match',
				fieldErrors: { confirm: ['Does not match the new password'] }
			};
			return fail(400, { ...mismatch, section: 'password' as const });
		}
		const api = await createServerCaller(event);
		// Unticked boxes are not sent: absent means keep the API tokens.
		const revokeApiTokens = form.get('revokeApiTokens') === 'on';
		try {
			await api.account.changePassword({ current, next, revokeApiTokens });
		} catch (error) {
			return failIn('password', error);
		}
		return { section: 'password' as const, passwordChanged: true };
	},

	requestOtpEmail: async function requestOtpEmail(event) {
		requireVerified(event);
		const email = String((await event.request.formData()).get('email') ?? '');
		const api = await createServerCaller(event);
		try {
			await api.twoFactor.requestEmail({ email });
		} catch (error) {
			return failIn('twoFactor', error, { email });
		}
		return { section: 'twoFactor' as const, otpEmailRequested: true };
	},

	confirmOtpEmail: async function confirmOtpEmail(event) {
		requireVerified(event);
		const code = String((await event.request.formData()).get('code') ?? '');
		const api = await createServerCaller(event);
		try {
			await api.twoFactor.confirmEmail({ code: code.replace(/[\s-]/g, '') });
		} catch (error) {
			return failIn('twoFactor', error);
		}
		return { section: 'twoFactor' as const, otpEmailConfirmed: true };
	},

	clearOtpEmail: async function clearOtpEmail(event) {
		requireVerified(event);
		const api = await createServerCaller(event);
		try {
			await api.twoFactor.clearEmail();
		} catch (error) {
			return failIn('twoFactor', error);
		}
		return { section: 'twoFactor' as const, otpEmailCleared: true };
	},

	generateTokens: async function generateTokens(event) {
		requireVerified(event);
		const count = Number((await event.request.formData()).get('count') ?? 10);
		const api = await createServerCaller(event);
		try {
			// Shown once: the tokens exist only in this response, never in a later load.
			const { tokens } = await api.backupTokens.generateMine({ count });
			return { section: 'tokens' as const, tokens };
		} catch (error) {
			return failIn('tokens', error);
		}
	},

	createApiToken: async function createApiToken(event) {
		requireVerified(event);
		const form = await event.request.formData();
		const values = { name: String(form.get('name') ?? '') };
		const expires = String(form.get('expiresInDays') ?? '90');
		const api = await createServerCaller(event);
		try {
			// Shown once: only this response carries the secret.
			const created = await api.apiTokens.create({
				name: values.name,
				scopes: form.get('write') === 'on' ? ['read', 'write'] : ['read'],
				expiresInDays: expires === 'never' ? null : Number(expires)
			});
			return { section: 'apiTokens' as const, apiToken: created.token };
		} catch (error) {
			return failIn('apiTokens', error, values);
		}
	},

	revokeApiToken: async function revokeApiToken(event) {
		requireVerified(event);
		const id = String((await event.request.formData()).get('id') ?? '');
		const api = await createServerCaller(event);
		try {
			await api.apiTokens.revoke({ id });
		} catch (error) {
			return failIn('apiTokens', error);
		}
		return { section: 'apiTokens' as const, apiTokenRevoked: true };
	},

	// The two-factor address, backup tokens and API tokens need step-up: the card that asked
	// shows the prompt and the answer.
	stepUpRequest: async function stepUpRequest(event) {
		return inSection(stepUpSection(event.url), await stepUpActions.stepUpRequest(event));
	},
	stepUpVerify: async function stepUpVerify(event) {
		return inSection(stepUpSection(event.url), await stepUpActions.stepUpVerify(event));
	},

	revokeTokens: async function revokeTokens(event) {
		requireVerified(event);
		const api = await createServerCaller(event);
		try {
			await api.backupTokens.revokeMine();
		} catch (error) {
			return failIn('tokens', error);
		}
		return { section: 'tokens' as const, tokensRevoked: true };
	},

	revokeSession: async function revokeSession(event) {
		requireVerified(event);
		const publicId = String((await event.request.formData()).get('publicId') ?? '');
		const api = await createServerCaller(event);
		try {
			await api.sessions.revoke({ publicId });
		} catch (error) {
			return failIn('sessions', error);
		}
		return { section: 'sessions' as const, sessionRevoked: true };
	},

	revokeOtherSessions: async function revokeOtherSessions(event) {
		requireVerified(event);
		const api = await createServerCaller(event);
		try {
			const { ended } = await api.sessions.revokeOthers();
			return { section: 'sessions' as const, sessionsEnded: ended };
		} catch (error) {
			return failIn('sessions', error);
		}
	}
};
