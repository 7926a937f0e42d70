import { error, redirect } from '@sveltejs/kit';
import { appPage } from '$lib/server/pages/groups';
import { notFoundOrThrow, resourceFailure } from '$lib/server/pages/resource-forms';
import { stepUpActions } from '$lib/server/pages/step-up-actions';
import type { Actions, PageServerLoad } from './$types';
import { resourceAt } from '$lib/server/pages/resource-api';

// Deleting a row asks first, on its own page (no JavaScript needed), and says what refers to it:
// rows whose required reference blocks the delete, and rows whose optional one is cleared.
export const load: PageServerLoad = appPage.load(async ({ api, event }) => {
	const { resource, procedures } = await resourceAt(api, event);
	if (!resource.can.delete) error(403, `Your role may not delete ${resource.label.toLowerCase()}`);
	const id = event.params.id;
	const row = await procedures.get({ id }).catch(notFoundOrThrow);
	return { resource, row, references: await procedures.references({ id }) };
});

export const actions: Actions = {
	...stepUpActions(appPage),

	delete: appPage.action(async ({ api, event, text }) => {
		const { resource, procedures } = await resourceAt(api, event);
		try {
			await procedures.delete({ id: event.params.id, version: Number(text('version')) });
		} catch (cause) {
			return resourceFailure(cause, { version: text('version') });
		}
		redirect(303, `/resources/${resource.path}`);
	})
};
