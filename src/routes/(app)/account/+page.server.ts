import { fail, isActionFailure, type ActionFailure } from '@sveltejs/kit';
import { jsonField } from '$lib/server/pages/form-json';
import { appPage } from '$lib/server/pages/groups';
import { loadPage, pageQuery, pagingOf } from '$lib/server/pages/paging';
import { stepUpActions } from '$lib/server/pages/step-up-actions';
import { qrCode } from '$lib/server/pages/qr';
import { failFromError, type FormFailure } from '$lib/server/trpc/form-errors';
import type { Actions, PageServerLoad } from './$types';

/** The card a form lives in, so an answer is shown next to the form that caused it. */
type Section =
	| 'password'
	| 'twoFactor'
	| 'totp'
	| 'tokens'
	| 'securityKeys'
	| 'apiTokens'
	| 'sessions'
	| 'devices';

/** Cards with step-up changes: the step-up panel's forms say which one asked (?section=). */
const STEP_UP_SECTIONS: readonly Section[] = [
	'twoFactor',
	'totp',
	'tokens',
	'securityKeys',
	'apiTokens'
];

function stepUpSection(url: URL): Section {
	const named = url.searchParams.get('section');
	return STEP_UP_SECTIONS.find((section) => section === named) ?? 'apiTokens';
}

/** The action, with its answer (success or failure) tagged with the card it belongs to. */
function inCard<Event extends { url: URL }, T extends object>(
	section: Section | ((url: URL) => Section),
	action: (event: Event) => Promise<T | ActionFailure<FormFailure>>
) {
	return async (event: Event) => {
		const card = typeof section === 'function' ? section(event.url) : section;
		const result = await action(event);
		if (isActionFailure(result)) {
			// isActionFailure narrows to ActionFailure<undefined>; the action's type says FormFailure.
			const data = result.data as unknown as FormFailure;
			return fail(result.status, { ...data, section: card });
		}
		return { ...(result as Exclude<T, ActionFailure<unknown>>), section: card };
	};
}

const stepUp = stepUpActions(appPage);

/**
 * An authenticator setup as the card shows it: the secret as text and the URI as a QR code drawn
 * on the server. Only action answers carry it, never a load: it is shown to whoever started it.
 */
function enrolmentShown(enrolment: {
	enrolmentId: string;
	secret: string;
	uri: string;
	expiresAt: Date;
}) {
	return { totpEnrolment: { ...enrolment, qr: qrCode(enrolment.uri) } };
}

// Sessions come a page at a time, the page number in the URL (`?page=2`), so the links work
// without JavaScript; this request's session is one of them, so the others are one less.
export const load: PageServerLoad = appPage.load(async ({ api, user, event }) => {
	const query = pageQuery(event.url);
	const [profile, totp, tokens, securityKeys, sessions, devices, apiTokens, apiTokenPermissions] =
		await Promise.all([
			api.users.get({ id: user.id }),
			api.totp.status(),
			api.backupTokens.countMine(),
			api.securityKeys.listMine(),
			loadPage(() => api.account.sessions(query)),
			api.account.devices(),
			api.apiTokens.list(),
			api.apiTokens.permissions()
		]);
	return {
		profile,
		totp,
		tokensLeft: tokens.remaining,
		securityKeys: securityKeys.keys,
		sessions: sessions.sessions,
		sessionPaging: { ...pagingOf(query), total: sessions.total },
		otherSessions: Math.max(0, sessions.total - 1),
		devices,
		apiTokens,
		apiTokenPermissions
	};
});

export const actions: Actions = {
	changePassword: inCard(
		'password',
		appPage.action(async ({ api, form, text }) => {
			if (text('next') !== text('confirm')) {
				return fail(400, {
					message: 'The new passwords do not match',
					fieldErrors: { confirm: ['Does not match the new password'] }
				} satisfies FormFailure);
			}
			// Unticked boxes are not sent: absent means keep the API tokens.
			const revokeApiTokens = form.get('revokeApiTokens') === 'on';
			await api.account.changePassword({
				current: text('current'),
				next: text('next'),
				revokeApiTokens
			});
			return { passwordChanged: true };
		})
	),

	requestOtpEmail: inCard(
		'twoFactor',
		appPage.action(
			async ({ api, values }) => {
				await api.twoFactor.requestEmail({ email: values.email });
				return { otpEmailRequested: true };
			},
			{ values: ['email'] }
		)
	),

	confirmOtpEmail: inCard(
		'twoFactor',
		appPage.action(async ({ api, text }) => {
			await api.twoFactor.confirmEmail({ code: text('code').replace(/[\s-]/g, '') });
			return { otpEmailConfirmed: true };
		})
	),

	clearOtpEmail: inCard(
		'twoFactor',
		appPage.action(async ({ api }) => {
			await api.twoFactor.clearEmail();
			return { otpEmailCleared: true };
		})
	),

	// The secret is in this response only; a wrong code brings the same setup back (read again
	// through the step-up tier), so the form works without JavaScript too.
	totpBegin: inCard(
		'totp',
		appPage.action(async ({ api }) => enrolmentShown(await api.totp.begin()))
	),

	totpConfirm: inCard(
		'totp',
		appPage.action(async ({ api, text }) => {
			try {
				const { replaced } = await api.totp.confirm({
					enrolmentId: text('enrolmentId'),
					code: text('code')
				});
				return { totpConfirmed: true, totpReplaced: replaced };
			} catch (error) {
				const failure = failFromError(error);
				const pending = failure.data.stepUpRequired
					? null
					: await api.totp.pending().catch(() => null);
				return fail(failure.status, {
					...failure.data,
					...(pending ? enrolmentShown(pending) : {})
				});
			}
		})
	),

	totpRemove: inCard(
		'totp',
		appPage.action(async ({ api }) => ({ totpRemoved: (await api.totp.remove()).removed }))
	),

	// Shown once: the tokens exist only in this response, never in a later load.
	generateTokens: inCard(
		'tokens',
		appPage.action(async ({ api, form }) => {
			const { tokens } = await api.backupTokens.generateMine({
				count: Number(form.get('count') ?? 10)
			});
			return { tokens };
		})
	),

	revokeTokens: inCard(
		'tokens',
		appPage.action(async ({ api }) => {
			await api.backupTokens.revokeMine();
			return { tokensRevoked: true };
		})
	),

	// Adding a security key takes two requests with the key's prompt between them (the card's
	// script): the options (a challenge for this session; step-up first), then the key's answer.
	securityKeyOptions: inCard(
		'securityKeys',
		appPage.action(async ({ api }) => ({
			securityKeyOptions: await api.securityKeys.registrationOptions()
		}))
	),

	addSecurityKey: inCard(
		'securityKeys',
		appPage.action(
			async ({ api, text, values }) => {
				const response = jsonField(text('response')) as never;
				const { key } = await api.securityKeys.register({ name: values.name, response });
				return { securityKeyAdded: key.name };
			},
			{ values: ['name'] }
		)
	),

	renameSecurityKey: inCard(
		'securityKeys',
		appPage.action(async ({ api, text }) => {
			await api.securityKeys.rename({ id: text('id'), name: text('name') });
			return { securityKeyRenamed: true };
		})
	),

	removeSecurityKey: inCard(
		'securityKeys',
		appPage.action(async ({ api, text }) => {
			await api.securityKeys.remove({ id: text('id') });
			return { securityKeyRemoved: true };
		})
	),

	// Shown once: only this response carries the secret. Each ticked scope is a `scopes` field; a
	// refusal sends them back (comma-separated) with the name, so the form comes back as it was.
	createApiToken: inCard(
		'apiTokens',
		appPage.action(
			async ({ api, form, values }) => {
				const expires = String(form.get('expiresInDays') ?? '90');
				const scopes = form.getAll('scopes').map(String);
				try {
					const created = await api.apiTokens.create({
						name: values.name,
						scopes,
						expiresInDays: expires === 'never' ? null : Number(expires)
					});
					return { apiToken: created.token };
				} catch (error) {
					return failFromError(error, { ...values, scopes: scopes.join(','), expires });
				}
			},
			{ values: ['name'] }
		)
	),

	revokeApiToken: inCard(
		'apiTokens',
		appPage.action(async ({ api, text }) => {
			await api.apiTokens.revoke({ id: text('id') });
			return { apiTokenRevoked: true };
		})
	),

	// The two-factor address, the authenticator, backup tokens, security keys and API tokens need
	// step-up: the card that asked shows the prompt and the answer.
	stepUpRequest: inCard(stepUpSection, stepUp.stepUpRequest),
	stepUpVerify: inCard(stepUpSection, stepUp.stepUpVerify),
	stepUpKeyOptions: inCard(stepUpSection, stepUp.stepUpKeyOptions),
	stepUpKeyVerify: inCard(stepUpSection, stepUp.stepUpKeyVerify),

	revokeSession: inCard(
		'sessions',
		appPage.action(async ({ api, text }) => {
			await api.sessions.revoke({ publicId: text('publicId') });
			return { sessionRevoked: true };
		})
	),

	revokeOtherSessions: inCard(
		'sessions',
		appPage.action(async ({ api }) => ({
			sessionsEnded: (await api.sessions.revokeOthers()).ended
		}))
	),

	forgetDevice: inCard(
		'devices',
		appPage.action(async ({ api, text }) => {
			await api.account.forgetDevice({ publicId: text('publicId') });
			return { deviceForgotten: true };
		})
	),

	forgetAllDevices: inCard(
		'devices',
		appPage.action(async ({ api }) => ({
			devicesForgotten: (await api.account.forgetAllDevices()).forgotten
		}))
	)
};
