import { fail } from '@sveltejs/kit';
import { serverRendered } from '$lib/server-rendered';
import { appPage } from '$lib/server/pages/groups';
import {
	listColumns,
	listPageRow,
	listQueryOf,
	referenceLinks,
	withListInput
} from '$lib/server/pages/resource-list';
import { resourceAt } from '$lib/server/pages/resource-api';
import { REFERENCE_OPTIONS } from '$lib/resources/list-query';
import { stepUpActions } from '$lib/server/pages/step-up-actions';
import type { Actions, PageServerLoad } from './$types';

// The list of any resource: search, filters, sort, page and page size from the URL (the page
// contract in README), rows drawn as text on the server, and bulk actions behind a confirm step.
// Server-rendered only: the rows are sent once, as HTML, never again as hydration data (the row
// selection's browser code comes with DataTable, selection.js); forms post and links load pages,
// as they do without JavaScript.
export const csr = false;

export const load: PageServerLoad = appPage.load(async ({ api, event, user }) => {
	const { resource, catalog, procedures } = await resourceAt(api, event);
	const query = listQueryOf(event.url, resource);
	const result = await withListInput(() => procedures.list(query));
	const columns = listColumns(resource);
	const linkTo = referenceLinks(user.role, catalog);
	// Everything but a few numbers and strings only the server's render reads (serverRendered):
	// the description, the columns and the rows are not serialized into the page.
	return {
		resource: serverRendered(event, resource),
		columns: serverRendered(event, columns),
		rows: serverRendered(
			event,
			result.rows.map((row) => listPageRow(columns, linkTo, row))
		),
		// The owners (etc.) of this page's rows: the reference filters offer these, never a select
		// of a whole table, and no more of them than a reference field offers (a page of 100 rows
		// with 100 owners would otherwise carry a 100-entry select, bytes for each row).
		referenced: serverRendered(event, referencedOnPage(resource.list.filters, result.rows)),
		filter: query.filter,
		search: query.search ?? '',
		sort: query.sort ?? resource.list.defaultSort,
		total: result.total,
		page: result.page,
		pageSize: result.pageSize
	};
});

function referencedOnPage(
	filters: string[],
	rows: Array<Record<string, unknown>>
): Record<string, Array<[string, string]>> {
	const found: Record<string, Map<string, string>> = {};
	for (const row of rows) {
		for (const key of filters) {
			const value = row[key];
			if (value && typeof value === 'object' && 'id' in value && 'title' in value) {
				const seen = (found[key] ??= new Map());
				if (seen.size < REFERENCE_OPTIONS) seen.set(String(value.id), String(value.title));
			}
		}
	}
	return Object.fromEntries(Object.entries(found).map(([key, map]) => [key, [...map]]));
}

/** `<id>:<version>`, as the list's checkboxes send a row. */
const ROW = /^([a-z2-7]{1,32}):([1-9]\d{0,15})$/;

export const actions: Actions = {
	...stepUpActions(appPage),

	// First post: the confirm step (a section of the page, so it works without JavaScript); with
	// `confirm=yes`: the procedure, which checks the permission, step-up and every row's version.
	bulk: appPage.action(async ({ api, event, form, text }) => {
		const { resource, procedures } = await resourceAt(api, event);
		const action = text('action');
		const rows = form.getAll('row').map(String);
		const parsed = rows.map((row) => ROW.exec(row));
		if (rows.length === 0) return fail(400, { message: 'Select at least one row' });
		if (parsed.some((match) => !match)) return fail(400, { message: 'Not a valid row' });
		const known =
			action === 'delete'
				? { label: 'Delete', confirm: null }
				: resource.actions.find((entry) => entry.name === action && entry.bulk);
		if (!known) return fail(400, { message: 'Unknown action' });
		const many = rows.length === 1 ? resource.labelOne : resource.label.toLowerCase();
		// Not allowed: no confirm step; the procedure refuses it as it refuses any direct request.
		const allowed = 'allowed' in known ? known.allowed : resource.can.delete;
		if (text('confirm') !== 'yes' && allowed) {
			return {
				confirm: {
					action,
					label: known.label,
					question:
						known.confirm ??
						(action === 'delete'
							? `Delete ${rows.length} ${many}? This cannot be undone.`
							: `${known.label}: ${rows.length} ${many}?`),
					rows
				}
			};
		}
		const { count } = await procedures.bulk({
			action,
			rows: parsed.map((match) => ({ id: match![1]!, version: Number(match![2]) }))
		});
		return {
			done: `${known.label}: ${count} ${count === 1 ? resource.labelOne : resource.label.toLowerCase()}`
		};
	})
};
