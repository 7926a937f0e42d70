// The authenticator card offers "Remove" on My account, never on the enrolment page (which has no
// remove action, and whose session may not remove factors): a new setup replaces a broken app.
import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import TotpCard from '../../src/routes/(app)/account/TotpCard.svelte';

const context = new Map([
	[
		'__request__',
		{ page: { data: { stepUpMinutes: 10 }, url: new URL('http://localhost/account') } }
	]
]);
// An app whose secret no longer opens (AUTH_SECRET rotated): what the enrolment page can show.
const status = { enabled: true, confirmedAt: new Date('2026-12-01T00:00:00Z'), usable: false };
const removeOffered = (removable?: boolean) =>
	/action="\?\/totpRemove"/.test(
		render(TotpCard, {
			props: { status, form: null, ...(removable === undefined ? {} : { removable }) },
			context
		}).body
	);

describe('TotpCard', () => {
	it('offers Remove by default (My account)', () => {
		expect(removeOffered()).toBe(true);
	});

	it('offers no Remove where removing is not allowed (the enrolment page)', () => {
		expect(removeOffered(false)).toBe(false);
	});
});
