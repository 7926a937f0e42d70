import { redirect } from '@sveltejs/kit';
import { adminPage } from '$lib/server/pages/groups';
import { stepUpActions } from '$lib/server/pages/step-up-actions';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = adminPage.load(() => ({}));

// Named actions: creating an admin needs a fresh code, which the step-up actions obtain.
export const actions: Actions = {
	...stepUpActions(adminPage),

	// Kept on failure so the form comes back filled in; the password never is. `method` chooses:
	// an invitation (the default: the person picks their own password) or a password typed here.
	create: adminPage.action(
		async ({ api, form, text, values }) => {
			const invitee = {
				username: values.username,
				email: values.email,
				// The procedure's schema rejects anything but 'admin' or 'member'.
				role: String(form.get('role') ?? 'member') as 'admin' | 'member'
			};
			// A post without `method` (a script, an older form) that carries a password sets it.
			const withPassword =
				values.method === 'password' || (values.method === '' && text('password') !== '');
			if (!withPassword) {
				const { id } = await api.users.invite(invitee);
				redirect(303, `/users/${id}?invitation=sent`);
			}
			const { id } = await api.users.create({ ...invitee, password: text('password') });
			redirect(303, `/users/${id}`);
		},
		{ values: ['username', 'email', 'role', 'method'] }
	)
};
