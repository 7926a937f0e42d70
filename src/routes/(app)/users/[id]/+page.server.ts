import { error, redirect } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { idSchema } from '$lib/schemas/users';
import { requireVerified } from '$lib/server/auth/page-guards';
import { stepUpActions } from '$lib/server/step-up-actions';
import { failFromError } from '$lib/server/trpc/form-errors';
import { createServerCaller } from '$lib/server/trpc/caller';
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
type Api = Awaited<ReturnType<typeof createServerCaller>>;

/** users.history pages by 50; Pagination needs the same number. */
const HISTORY_PAGE_SIZE = 50;

/** sessions.all's default page size. */
const SESSIONS_PAGE_SIZE = 25;

function tabFrom(url: URL): Tab {
	const tab = url.searchParams.get('tab');
	return TABS.find((name) => name === tab) ?? 'profile';
}

function text(form: FormData, name: string): string {
	return String(form.get(name) ?? '');
}

async function loadHistory(api: Api, id: string, url: URL) {
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
async function loadSessions(api: Api, id: string, url: URL) {
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

function notFoundOrThrow(cause: unknown): never {
	if (cause instanceof TRPCError && cause.code === 'NOT_FOUND') error(404, 'No such user');
	throw cause;
}

export const load: PageServerLoad = async (event) => {
	const { user: viewer, session } = requireVerified(event);
	const { id } = event.params;
	if (viewer.role !== 'admin') {
		// Members manage their own account on /account, and nobody else's.
		if (id === viewer.id) redirect(303, '/account');
		error(403, 'Administrators only');
	}
	if (!idSchema.safeParse(id).success) error(404, 'No such user');
	const tab = tabFrom(event.url);
	const api = await createServerCaller(event);
	const subject = await api.users.get({ id }).catch(notFoundOrThrow);

	// Only what the open tab shows is loaded. `subject`, not `user`: the root layout's `user` is
	// whoever is signed in, and page data would shadow it.
	return {
		subject,
		tab,
		isSelf: id === viewer.id,
		currentSessionId: session.publicId,
		sessions: tab === 'sessions' ? await loadSessions(api, id, event.url) : null,
		backupTokens: tab === 'backup-tokens' ? await api.backupTokens.countFor({ userId: id }) : null,
		apiTokens: tab === 'api-tokens' ? await api.apiTokens.listFor({ userId: id }) : null,
		history: tab === 'history' ? await loadHistory(api, id, event.url) : null
	};
};

// Every action acts on the user in the URL, never on a user id from the form body. Success returns
// a message the page shows without JavaScript (with it, the toast says the same).
export const actions: Actions = {
	...stepUpActions,

	updateProfile: async function updateProfile(event) {
		requireVerified(event);
		const form = await event.request.formData();
		const values = { username: text(form, 'username'), email: text(form, 'email') };
		const api = await createServerCaller(event);
		try {
			await api.users.updateProfile({
				id: event.params.id,
				username: values.username,
				email: values.email.trim() === '' ? null : values.email
			});
		} catch (cause) {
			return failFromError(cause, values);
		}
		return { success: 'Profile saved' };
	},

	setRole: async function setRole(event) {
		requireVerified(event);
		const form = await event.request.formData();
		const values = { role: text(form, 'role') };
		const api = await createServerCaller(event);
		try {
			// The procedure's schema rejects anything but 'admin' or 'member'.
			await api.users.setRole({ id: event.params.id, role: values.role as 'admin' | 'member' });
		} catch (cause) {
			return failFromError(cause, values);
		}
		return { success: `Role changed to ${values.role}` };
	},

	setPassword: async function setPassword(event) {
		requireVerified(event);
		const form = await event.request.formData();
		const api = await createServerCaller(event);
		try {
			await api.users.setPassword({ id: event.params.id, password: text(form, 'password') });
		} catch (cause) {
			return failFromError(cause);
		}
		return { success: 'Password set; their sessions have ended' };
	},

	deactivate: async function deactivateUser(event) {
		requireVerified(event);
		const api = await createServerCaller(event);
		try {
			await api.users.setActive({ ids: [event.params.id], active: false });
		} catch (cause) {
			return failFromError(cause);
		}
		return { success: 'Deactivated; their sessions have ended' };
	},

	reactivate: async function reactivateUser(event) {
		requireVerified(event);
		const api = await createServerCaller(event);
		try {
			await api.users.setActive({ ids: [event.params.id], active: true });
		} catch (cause) {
			return failFromError(cause);
		}
		return { success: 'Reactivated' };
	},

	unlock: async function unlockUser(event) {
		requireVerified(event);
		const api = await createServerCaller(event);
		try {
			await api.users.unlock({ id: event.params.id });
		} catch (cause) {
			return failFromError(cause);
		}
		return { success: 'Unlocked' };
	},

	delete: async function deleteUser(event) {
		requireVerified(event);
		const api = await createServerCaller(event);
		try {
			await api.users.delete({ id: event.params.id });
		} catch (cause) {
			return failFromError(cause);
		}
		redirect(303, '/users');
	},

	requestTwoFactorEmail: async function requestTwoFactorEmail(event) {
		requireVerified(event);
		const form = await event.request.formData();
		const values = { email: text(form, 'email') };
		const api = await createServerCaller(event);
		try {
			await api.twoFactor.requestEmailFor({ userId: event.params.id, email: values.email });
		} catch (cause) {
			return failFromError(cause, values);
		}
		return { success: 'Code sent to the new address' };
	},

	clearTwoFactorEmail: async function clearTwoFactorEmail(event) {
		requireVerified(event);
		const api = await createServerCaller(event);
		try {
			await api.twoFactor.clearEmailFor({ userId: event.params.id });
		} catch (cause) {
			return failFromError(cause);
		}
		return { success: 'Codes go to the account email again' };
	},

	revokeApiToken: async function revokeApiToken(event) {
		requireVerified(event);
		const form = await event.request.formData();
		const api = await createServerCaller(event);
		try {
			await api.apiTokens.revokeFor({ id: text(form, 'id') });
		} catch (cause) {
			return failFromError(cause);
		}
		return { success: 'API token revoked' };
	},

	revokeSession: async function revokeSession(event) {
		requireVerified(event);
		const form = await event.request.formData();
		const api = await createServerCaller(event);
		try {
			await api.sessions.revoke({ publicId: text(form, 'publicId') });
		} catch (cause) {
			return failFromError(cause);
		}
		return { success: 'Session ended' };
	},

	generateBackupTokens: async function generateBackupTokens(event) {
		requireVerified(event);
		const form = await event.request.formData();
		const values = { count: text(form, 'count') };
		const api = await createServerCaller(event);
		let tokens: string[];
		try {
			({ tokens } = await api.backupTokens.generateFor({
				userId: event.params.id,
				count: Number(values.count)
			}));
		} catch (cause) {
			return failFromError(cause, values);
		}
		// Shown once: only their hashes are stored.
		return { success: `${tokens.length} backup tokens created`, tokens };
	},

	revokeBackupTokens: async function revokeBackupTokens(event) {
		requireVerified(event);
		const api = await createServerCaller(event);
		try {
			await api.backupTokens.revokeFor({ userId: event.params.id });
		} catch (cause) {
			return failFromError(cause);
		}
		return { success: 'All backup tokens revoked' };
	}
};
