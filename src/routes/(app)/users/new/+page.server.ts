import { error, redirect } from '@sveltejs/kit';
import { requireVerified } from '$lib/server/auth/page-guards';
import { stepUpActions } from '$lib/server/step-up-actions';
import { failFromError } from '$lib/server/trpc/form-errors';
import { createServerCaller } from '$lib/server/trpc/caller';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
	const { user } = requireVerified(event);
	if (user.role !== 'admin') error(403, 'Administrators only');
	return {};
};

// Named actions: creating an admin needs a fresh code, which the step-up actions obtain.
export const actions: Actions = {
	...stepUpActions,

	create: async function createUser(event) {
		const { user } = requireVerified(event);
		if (user.role !== 'admin') error(403, 'Administrators only');
		const form = await event.request.formData();
		// Kept on failure so the form comes back filled in; the password never is.
		const values = {
			username: String(form.get('username') ?? ''),
			email: String(form.get('email') ?? ''),
			role: String(form.get('role') ?? 'member')
		};
		const api = await createServerCaller(event);
		let id: string;
		try {
			({ id } = await api.users.create({
				...values,
				// The procedure's schema rejects anything but 'admin' or 'member'.
				role: values.role as 'admin' | 'member',
				password: String(form.get('password') ?? '')
			}));
		} catch (cause) {
			return failFromError(cause, values);
		}
		redirect(303, `/users/${id}`);
	}
};
