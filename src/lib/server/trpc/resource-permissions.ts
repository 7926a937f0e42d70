// The check every resource procedure makes besides its tier: the role's grant of the operation's
// permission string (permissions.ts) and, for an API token, its scopes (scopes.ts), then a fresh
// code where the definition lists the operation under `stepUp`; and the same in words, for the
// API reference.
import type { SessionUser } from '../auth/types';
import type { AnyResource } from '../resources/define';
import type { Context } from './context';
import { assertStepUp } from './init';
import { requirePermission } from './scopes';

type Ctx = Context & { user: SessionUser; session: NonNullable<Context['session']> };

export function allow(
	ctx: Ctx,
	resource: AnyResource,
	operation: string,
	stepUpName = operation
): void {
	requirePermission(ctx, `${resource.name}.${operation}`);
	if (resource.stepUp.has(stepUpName)) assertStepUp(ctx);
}

/**
 * What a procedure needs besides its tier, in words for the API reference: the permission, and
 * whether the definition asks for a fresh code.
 */
export function needs(resource: AnyResource, operation: string, stepUpName = operation): string {
	const permission = `\`${resource.name}.${operation}\``;
	return resource.stepUp.has(stepUpName) ? `${permission} and a fresh code (step-up)` : permission;
}
