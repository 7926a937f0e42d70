// auth.me is what clients ask on every page or poll: for a verified session it answers from the
// session check alone, with no statement of its own (the second factors are auth.stepUp.methods,
// asked only when the step-up panel shows).
import type { KyselyPlugin, RootOperationNode } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useApiHarness } from '../helpers/api-harness';
import { dialects } from '../../tools/databases';
import { seedUser } from '../../tools/sign-in';

/** Counts the statements the procedures send (the session check uses the harness's own db). */
function statementCounter(): KyselyPlugin & { count: number } {
	return {
		count: 0,
		transformQuery({ node }: { node: RootOperationNode }) {
			this.count++;
			return node;
		},
		transformResult: async ({ result }) => result
	};
}

describe.each(dialects)('auth.me on %s', (dialect) => {
	const api = useApiHarness(dialect);

	it('sends no statement beyond the session check for a verified session', async () => {
		const user = await seedUser(api.db);
		const counter = statementCounter();
		const token = await api.signIn(user);
		const caller = await api.callerFor(token, { db: api.db.withPlugin(counter) });
		await caller.auth.me();
		expect(counter.count).toBe(0);
		// The factors are there when the step-up panel asks for them, with statements of their own.
		expect(await caller.auth.stepUp.methods()).toEqual(['email']);
		expect(counter.count).toBeGreaterThan(0);
	});
});
