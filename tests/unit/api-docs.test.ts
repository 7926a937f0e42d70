// docs/API.md is generated from the router; this fails when someone changes a procedure (its
// tier, description or input) without regenerating it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { appRouter } from '$lib/server/trpc/router';
import { API_DOC_PATH, describeProcedures, renderApiDocs } from '../../scripts/api-reference';

describe('the API reference', () => {
	it('gives every procedure a tier and a one-line description', () => {
		for (const procedure of describeProcedures(appRouter)) {
			expect(procedure.description, procedure.path).toMatch(/^[^\n]+$/);
		}
	});

	it('docs/API.md matches the router (run npm run api:docs)', async () => {
		const committed = readFileSync(API_DOC_PATH, 'utf8');
		const rendered = await renderApiDocs(appRouter);
		expect(committed, `${API_DOC_PATH} is out of date: run npm run api:docs`).toBe(rendered);
	});
});
