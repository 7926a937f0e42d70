import { error, redirect } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { idSchema, type ResettableFactor } from '$lib/schemas/users';
import { adminPage, appPage } from '$lib/server/pages/groups';
import type { ServerCaller } from '$lib/server/pages/page-group';
import { stepUpActions } from '$lib/server/pages/step-up-actions';
import type { Actions, PageServerLoad } from './$types';

const TABS = [
	'profile',
	'two-factor',
	'sessions',
	'backup-tokens',
	'api-tokens',
	'history'
] as const;
type Tab = (typeof TABS)[number];

/** users.history pages by 50; Pagination needs the same number. */
const HISTORY_PAGE_SIZE = 50;

/** sessions.all's default page size. */
const SESSIONS_PAGE_SIZE = 25;

function tabFrom(url: URL): Tab {
	const tab = url.searchParams.get('tab');
	return TABS.find((name) => name === tab) ?? 'profile';
}

async function loadHistory(api: ServerCaller, id: string, url: URL) {
	const page = Number(url.searchParams.get('page') ?? 1);
	try {
		return { ...(await api.users.history({ id, page })), page, pageSize: HISTORY_PAGE_SIZE };
	} catch (cause) {
		if (cause instanceof TRPCError && cause.code === 'BAD_REQUEST') {
			error(400, 'That page is not valid');
		}
		throw cause;
	}
}

/** One page of the user's live sessions; `page` and `pageSize` come from the URL like /users. */
async function loadSessions(api: ServerCaller, id: string, url: URL) {
	const page = Number(url.searchParams.get('page') ?? 1);
	const pageSize = Number(url.searchParams.get('pageSize') ?? SESSIONS_PAGE_SIZE);
	try {
		return { ...(await api.sessions.all({ userId: id, page, pageSize })), page, pageSize };
	} catch (cause) {
		if (cause instanceof TRPCError && cause.code === 'BAD_REQUEST') {
			error(400, 'That page is not valid');
		}
		throw cause;
	}
}

/** What a reset did, in words: the page's answer (and, with JavaScript, the toast's). */
function resetSummary(reset: { totp: boolean; securityKeys: number; devices: number }): string {
	const done = [
		...(reset.totp ? ['authenticator app removed'] : []),
		...(reset.securityKeys > 0
			? [`${reset.securityKeys} security key${reset.securityKeys === 1 ? '' : 's'} removed`]
			: []),
		...(reset.devices > 0
			? [`${reset.devices} remembered device${reset.devices === 1 ? '' : 's'} forgotten`]
			: [])
	];
	return done.length > 0
		? `Factors reset: ${done.join(', ')}. The owner was emailed.`
		: 'Nothing to reset: no authenticator app, security key or remembered device.';
}

function notFoundOrThrow(cause: unknown): never {
	if (cause instanceof TRPCError && cause.code === 'NOT_FOUND') error(404, 'No such user');
	throw cause;
}

// An admin page, but a member who opens their own is sent to /account rather than refused: the
// load checks the role itself, after the (app) guard.
export const load: PageServerLoad = appPage.load(async ({ api, event, user: viewer, session }) => {
	const { id } = event.params;
	if (viewer.role !== 'admin') {
		// Members manage their own account on /account, and nobody else's.
		if (id === viewer.id) redirect(303, '/account');
		error(403, 'Administrators only');
	}
	if (!idSchema.safeParse(id).success) error(404, 'No such user');
	const tab = tabFrom(event.url);
	const subject = await api.users.get({ id }).catch(notFoundOrThrow);

	// Only what the open tab shows is loaded. `subject`, not `user`: the root layout's `user` is
	// whoever is signed in, and page data would shadow it.
	// Where the new-user form sent the admin after inviting.
	const invited = event.url.searchParams.get('invitation') === 'sent';
	return {
		subject,
		tab,
		invitationNotice: invited,
		isSelf: id === viewer.id,
		currentSessionId: session.publicId,
		factors: tab === 'two-factor' ? await api.users.factors({ id }) : null,
		sessions: tab === 'sessions' ? await loadSessions(api, id, event.url) : null,
		backupTokens: tab === 'backup-tokens' ? await api.backupTokens.countFor({ userId: id }) : null,
		apiTokens: tab === 'api-tokens' ? await api.apiTokens.listFor({ userId: id }) : null,
		history: tab === 'history' ? await loadHistory(api, id, event.url) : null
	};
});

// Every action acts on the user in the URL, never on a user id from the form body. Success returns
// a message the page shows without JavaScript (with it, the toast says the same).
export const actions: Actions = {
	...stepUpActions(adminPage),

	updateProfile: adminPage.action(
		async ({ api, event, values }) => {
			const email = values.email.trim() === '' ? null : values.email;
			const { emailChange } = await api.users.updateProfile({
				id: event.params.id,
				username: values.username,
				email
			});
			return {
				success: emailChange
					? `Profile saved. A confirmation link went to ${emailChange.email}: the email changes when it is opened`
					: 'Profile saved'
			};
		},
		{ values: ['username', 'email'] }
	),

	cancelEmailChange: adminPage.action(async ({ api, event }) => {
		const { cancelled } = await api.users.cancelEmailChange({ id: event.params.id });
		return { success: cancelled ? 'Email change cancelled' : 'No email change was pending' };
	}),

	setRole: adminPage.action(
		async ({ api, event, values }) => {
			// The procedure's schema rejects anything but 'admin' or 'member'.
			await api.users.setRole({ id: event.params.id, role: values.role as 'admin' | 'member' });
			return { success: `Role changed to ${values.role}` };
		},
		{ values: ['role'] }
	),

	setPassword: adminPage.action(async ({ api, event, text }) => {
		await api.users.setPassword({ id: event.params.id, password: text('password') });
		return { success: 'Password set; their sessions have ended' };
	}),

	sendPasswordReset: adminPage.action(async ({ api, event }) => {
		await api.users.sendPasswordReset({ id: event.params.id });
		return { success: 'Reset link sent; it works for 30 minutes' };
	}),

	deactivate: adminPage.action(async ({ api, event }) => {
		await api.users.setActive({ ids: [event.params.id], active: false });
		return { success: 'Deactivated; their sessions have ended' };
	}),

	reactivate: adminPage.action(async ({ api, event }) => {
		await api.users.setActive({ ids: [event.params.id], active: true });
		return { success: 'Reactivated' };
	}),

	unlock: adminPage.action(async ({ api, event }) => {
		await api.users.unlock({ id: event.params.id });
		return { success: 'Unlocked' };
	}),

	delete: adminPage.action(async ({ api, event }) => {
		await api.users.delete({ id: event.params.id });
		redirect(303, '/users');
	}),

	requestTwoFactorEmail: adminPage.action(
		async ({ api, event, values }) => {
			await api.twoFactor.requestEmailFor({ userId: event.params.id, email: values.email });
			return { success: 'Code sent to the new address' };
		},
		{ values: ['email'] }
	),

	clearTwoFactorEmail: adminPage.action(async ({ api, event }) => {
		await api.twoFactor.clearEmailFor({ userId: event.params.id });
		return { success: 'Codes go to the account email again' };
	}),

	// Every kind unless the form names some (`kinds`, repeated); the procedure checks each one.
	resetFactors: adminPage.action(async ({ api, event, form }) => {
		const named = form.getAll('kinds').map(String);
		const kinds = named.length > 0 ? (named as ResettableFactor[]) : undefined;
		const reset = await api.users.resetFactors({ id: event.params.id, kinds });
		return { success: resetSummary(reset) };
	}),

	resendInvitation: adminPage.action(async ({ api, event }) => {
		await api.users.resendInvitation({ id: event.params.id });
		return { success: 'A new invitation was sent; the previous link no longer works' };
	}),

	revokeInvitation: adminPage.action(async ({ api, event }) => {
		await api.users.revokeInvitation({ id: event.params.id });
		return {
			success:
				'Invitation revoked: nobody can sign in to this account until it is invited again or given a password'
		};
	}),

	revokeApiToken: adminPage.action(async ({ api, text }) => {
		await api.apiTokens.revokeFor({ id: text('id') });
		return { success: 'API token revoked' };
	}),

	revokeSession: adminPage.action(async ({ api, text }) => {
		await api.sessions.revoke({ publicId: text('publicId') });
		return { success: 'Session ended' };
	}),

	// Shown once: only their hashes are stored.
	generateBackupTokens: adminPage.action(
		async ({ api, event, values }) => {
			const userId = event.params.id;
			const { tokens } = await api.backupTokens.generateFor({
				userId,
				count: Number(values.count)
			});
			return { success: `${tokens.length} backup tokens created`, tokens };
		},
		{ values: ['count'] }
	),

	revokeBackupTokens: adminPage.action(async ({ api, event }) => {
		await api.backupTokens.revokeFor({ userId: event.params.id });
		return { success: 'All backup tokens revoked' };
	})
};
