// The check every resource procedure makes besides its tier: the role's grant of the operation's
// permission string (permissions.ts), then a fresh code where the definition lists the operation
// under `stepUp`; and the same two in words, for the API reference.
import { roleCan } from '../../permissions';
import type { SessionUser } from '../auth/types';
import { MissingPermissionError } from '../errors';
import type { AnyResource } from '../resources/define';
import type { Context } from './context';
import { assertStepUp } from './init';

/** Refuses a role without `permission`, naming it. */
export function requirePermission(user: Pick<SessionUser, 'role'>, permission: string): void {
	if (!roleCan(user.role, permission)) throw new MissingPermissionError(permission);
}

type Ctx = Context & { user: SessionUser; session: NonNullable<Context['session']> };

export function allow(
	ctx: Ctx,
	resource: AnyResource,
	operation: string,
	stepUpName = operation
): void {
	requirePermission(ctx.user, `${resource.name}.${operation}`);
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
