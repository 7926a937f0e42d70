import type { AnyRouter } from '@trpc/server';
import type { ProcedureKind } from '../security/trpc-guard';

/** The kind of procedure at a dotted path (`health`, `auth.login`) of a router, if any. */
export function procedureKindOf(router: AnyRouter, path: string): ProcedureKind | undefined {
	const procedures: Record<string, { _def: Partial<Record<ProcedureKind, boolean>> }> =
		router._def.procedures;
	// Own keys only: `constructor` or `__proto__` must not look like a procedure.
	if (!Object.hasOwn(procedures, path)) return undefined;
	const def = procedures[path]!._def;
	if (def.mutation) return 'mutation';
	if (def.subscription) return 'subscription';
	return def.query ? 'query' : undefined;
}
