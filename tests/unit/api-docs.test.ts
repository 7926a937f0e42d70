// docs/API.md is generated from the router; this fails when someone changes a procedure (its
// tier, description or input) without regenerating it.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '$lib/server/trpc/router';
import type { AnyResource } from '$lib/server/resources/define';
import { resources } from '$lib/server/resources/registry';
import { API_DOC_PATH, describeProcedures, renderApiDocs } from '../../scripts/api-reference';

describe('the API reference', () => {
	// Rendered once for the tests that read it: prettier takes seconds on a busy machine.
	let rendered: string;
	beforeAll(async () => {
		rendered = await renderApiDocs(appRouter);
	}, 60_000);

	it('gives every procedure a tier and a one-line description', () => {
		for (const procedure of describeProcedures(appRouter)) {
			expect(procedure.description, procedure.path).toMatch(/^[^\n]+$/);
		}
	});

	it("says what every resources.* procedure needs (its permission), and resourceCatalog's", () => {
		const procedures = describeProcedures(appRouter).filter(
			(procedure) => procedure.path.startsWith('resources.') || procedure.path === 'resourceCatalog'
		);
		expect(procedures.length).toBeGreaterThan(Object.keys(resources).length);
		for (const procedure of procedures) {
			expect(procedure.permission, procedure.path).toMatch(/\S/);
		}
	});

	it('describes every registered resource: its fields, permissions and list [from the definition]', () => {
		const docs = rendered;
		for (const resource of Object.values(resources) as AnyResource[]) {
			const section = docs.slice(docs.indexOf(`(\`resources.${resource.name}.*\`)`));
			expect(section, resource.name).not.toBe(docs);
			for (const field of Object.keys(resource.fields)) expect(section).toContain(`| \`${field}\``);
			for (const operation of ['read', 'create', 'update', 'delete'] as const) {
				expect(section).toContain(`\`${resource.permission(operation)}\``);
			}
			for (const action of Object.keys(resource.actions)) {
				expect(section).toContain(`\`${resource.permission(`action.${action}`)}\``);
			}
			expect(section).toContain(`default \`${resource.list.defaultSort || 'id'}\``);
		}
	});

	it('docs/API.md matches the router (run npm run api:docs)', () => {
		const committed = readFileSync(API_DOC_PATH, 'utf8');
		expect(committed, `${API_DOC_PATH} is out of date: run npm run api:docs`).toBe(rendered);
	});
});
