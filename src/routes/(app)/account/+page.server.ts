import { fail } from '@sveltejs/kit';
import { appPage } from '$lib/server/pages/groups';
import { loadPage, pageQuery, pagingOf } from '$lib/server/pages/paging';
import { failFromError, type FormFailure } from '$lib/server/trpc/form-errors';
import { factorActions, inCard } from './factor-actions';
import type { Actions, PageServerLoad } from './$types';

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
	...factorActions(appPage),

	// The change waits for the link mailed to the new address; the answer names it.
	changeEmail: inCard(
		'email',
		appPage.action(
			async ({ api, values }) => ({
				emailChangeRequested: (await api.account.changeEmail({ email: values.email })).email
			}),
			{ values: ['email'] }
		)
	),

	cancelEmailChange: inCard(
		'email',
		appPage.action(async ({ api }) => ({
			emailChangeCancelled: (await api.account.cancelEmailChange()).cancelled
		}))
	),

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
