import { appPage } from '$lib/server/pages/groups';
import {
	notFoundOrThrow,
	referenceChoices,
	resourceFailure
} from '$lib/server/pages/resource-forms';
import { stepUpActions } from '$lib/server/pages/step-up-actions';
import { formInput, formValues } from '$lib/resources/form-input';
import type { Actions, PageServerLoad } from './$types';
import { resourceAt } from '$lib/server/pages/resource-api';

// One row: its edit form (or a read-only view for a role that may not change it) and its actions.
// Every change carries the version the form was read at; a row that moved on since answers
// CONFLICT, and the page then shows its current values beside the person's input.
export const load: PageServerLoad = appPage.load(async ({ api, event }) => {
	const { resource, procedures } = await resourceAt(api, event);
	const row = await procedures.get({ id: event.params.id }).catch(notFoundOrThrow);
	const { choices, search } = resource.can.update
		? await referenceChoices(resource, procedures)
		: { choices: {}, search: {} };
	return { resource, row, choices, search, created: event.url.searchParams.has('created') };
});

export const actions: Actions = {
	...stepUpActions(appPage),

	update: appPage.action(async ({ api, event, form, text }) => {
		const { resource, procedures } = await resourceAt(api, event);
		try {
			await procedures.update({
				id: event.params.id,
				version: Number(text('version')),
				values: formInput(resource.fields, form, 'update')
			});
		} catch (cause) {
			return resourceFailure(cause, {
				values: formValues(resource.fields, form),
				version: text('version'),
				...(await referenceChoices(resource, procedures, form))
			});
		}
		return { success: 'Saved' };
	}),

	action: appPage.action(async ({ api, event, text }) => {
		const { resource, procedures } = await resourceAt(api, event);
		const action = resource.actions.find((entry) => entry.name === text('action'));
		try {
			await procedures.action({
				action: text('action'),
				id: event.params.id,
				version: Number(text('version'))
			});
		} catch (cause) {
			return resourceFailure(cause, { version: text('version') });
		}
		return { success: `${action?.label ?? 'Done'}: done` };
	}),

	choices: appPage.action(async ({ api, event, form, text }) => {
		const { resource, procedures } = await resourceAt(api, event);
		return {
			values: formValues(resource.fields, form),
			version: text('version'),
			...(await referenceChoices(resource, procedures, form))
		};
	})
};
