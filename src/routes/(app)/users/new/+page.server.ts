import { redirect } from '@sveltejs/kit';
import { adminPage } from '$lib/server/pages/groups';
import { stepUpActions } from '$lib/server/pages/step-up-actions';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = adminPage.load(() => ({}));

// Named actions: creating an admin needs a fresh code, which the step-up actions obtain.
export const actions: Actions = {
	...stepUpActions(adminPage),

	// Kept on failure so the form comes back filled in; the password never is.
	create: adminPage.action(
		async ({ api, form, text, values }) => {
			const { id } = await api.users.create({
				username: values.username,
				email: values.email,
				// The procedure's schema rejects anything but 'admin' or 'member'.
				role: String(form.get('role') ?? 'member') as 'admin' | 'member',
				password: text('password')
			});
			redirect(303, `/users/${id}`);
		},
		{ values: ['username', 'email', 'role'] }
	)
};
