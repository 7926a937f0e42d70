import { error, redirect } from '@sveltejs/kit';
import { appPage } from '$lib/server/pages/groups';
import { referenceChoices, resourceFailure } from '$lib/server/pages/resource-forms';
import { stepUpActions } from '$lib/server/pages/step-up-actions';
import { formInput, formValues } from '$lib/resources/form-input';
import type { Actions, PageServerLoad } from './$types';
import { resourceAt, type AnyRow } from '$lib/server/pages/resource-api';

// The create form of any resource: one field per writable field, named as the field (the page
// contract). The procedure validates and decides; the page only reads the form by the
// description's rules (form-input.ts) and sends the input back with any failure.
export const load: PageServerLoad = appPage.load(async ({ api, event }) => {
	const { resource, procedures } = await resourceAt(api, event);
	// Hidden from the list for such a role; a direct visit is refused the same way.
	if (!resource.can.create) error(403, `Your role may not create ${resource.label.toLowerCase()}`);
	return { resource, ...(await referenceChoices(resource, procedures)) };
});

export const actions: Actions = {
	...stepUpActions(appPage),

	create: appPage.action(async ({ api, event, form }) => {
		const { resource, procedures } = await resourceAt(api, event);
		let row: AnyRow;
		try {
			row = await procedures.create(formInput(resource.fields, form, 'create'));
		} catch (cause) {
			return resourceFailure(cause, {
				values: formValues(resource.fields, form),
				...(await referenceChoices(resource, procedures, form))
			});
		}
		redirect(303, `/resources/${resource.path}/${row.id}?created`);
	}),

	// "Find" beside a reference field without JavaScript: the form comes back as it was, with that
	// field's choices narrowed to the rows matching its search box.
	choices: appPage.action(async ({ api, event, form }) => {
		const { resource, procedures } = await resourceAt(api, event);
		return {
			values: formValues(resource.fields, form),
			...(await referenceChoices(resource, procedures, form))
		};
	})
};
