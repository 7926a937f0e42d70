// Every procedure of the router, with what it accepts, and a caller that passes its tier: for
// suites that must reach each procedure's input validation (a new procedure is covered as soon as
// it is in the router).
import type { ZodType } from 'zod';
import type { Tier } from '$lib/server/trpc/init';
import { appRouter } from '$lib/server/trpc/router';
import { describeProcedures } from '../../scripts/api-reference';
import type { Caller, useApiHarness } from './api-harness';
import { seedUser } from '../../tools/sign-in';

export interface RouterProcedure {
	path: string;
	tier: Tier;
	/** The zod schema tRPC validates the input with; null when the procedure declares none. */
	input: ZodType | null;
	/** The input as JSON Schema (docs/API.md shows the same); null when it takes none. */
	jsonSchema: unknown;
	/** The top-level keys of an object input, and those of them that are required. */
	fields: string[];
	requiredFields: string[];
}

interface JsonObjectSchema {
	properties?: Record<string, unknown>;
	required?: string[];
}

/** Every procedure of `appRouter`, sorted by path. */
export function routerProcedures(): RouterProcedure[] {
	const definitions = appRouter._def.procedures as unknown as Record<
		string,
		{ _def: { inputs: ZodType[] } }
	>;
	return describeProcedures(appRouter).map((procedure) => {
		const inputs = definitions[procedure.path]!._def.inputs;
		const schema = (procedure.input ?? {}) as JsonObjectSchema;
		return {
			path: procedure.path,
			tier: procedure.tier,
			input: inputs[0] ?? null,
			jsonSchema: procedure.input,
			fields: Object.keys(schema.properties ?? {}),
			requiredFields: schema.required ?? []
		};
	});
}

/**
 * Signs in an admin (password and code, so step-up is fresh for the next 10 minutes) and starts a
 * member's sign-in (pending): `forTier(tier)` is anonymous for `public`, the pending member for
 * `pending`, and the admin for every other tier. Call inside a hook or test of the harness.
 */
export async function signInForEveryTier(harness: ReturnType<typeof useApiHarness>) {
	const admin = await seedUser(harness.db, { role: 'admin' });
	const member = await seedUser(harness.db);
	const adminToken = await harness.signIn(admin);
	const { pending } = await harness.startSignIn(member);
	const callers = {
		anonymous: await harness.callerFor(null),
		pending: await harness.callerFor(pending),
		admin: await harness.callerFor(adminToken)
	};
	return {
		admin,
		member,
		adminToken,
		forTier(tier: Tier): Caller {
			if (tier === 'public') return callers.anonymous;
			return tier === 'pending' ? callers.pending : callers.admin;
		}
	};
}
