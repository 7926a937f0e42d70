// Roles and what they may do: the one file where a role is defined. A permission is a string:
// `admin` for the built-in administration (users, sessions, the audit log), and for every
// registered resource `<resource>.read`, `.create`, `.update`, `.delete` and
// `.action.<action>`. A grant is a permission, `<resource>.*` (everything on that resource) or
// `*` (everything). Anything not granted is refused: a missing rule denies, never allows.
// Outside `server/` because pages read it too, to hide what a person may not do (the procedures
// check again; hiding is never the protection).

export const ROLE_GRANTS = {
	admin: ['*'],
	member: ['featureFlags.read']
} as const satisfies Record<string, readonly string[]>;

export type Role = keyof typeof ROLE_GRANTS;

/** Every role, in the order the role pickers offer them. */
export const ROLES = Object.keys(ROLE_GRANTS) as [Role, ...Role[]];

/** What a role's grants say about one permission. Unknown roles may do nothing. */
export function roleCan(role: string, permission: string): boolean {
	if (!Object.hasOwn(ROLE_GRANTS, role)) return false;
	const grants: readonly string[] = ROLE_GRANTS[role as Role];
	return grants.some(
		(grant) =>
			grant === '*' ||
			grant === permission ||
			(grant.endsWith('.*') && permission.startsWith(grant.slice(0, -1)))
	);
}
