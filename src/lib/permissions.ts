// Roles and what they may do: the one file where a role is defined, and where the built-in
// procedures' permissions are listed. A permission is a string: `admin` for the built-in
// administration pages, the built-in API's strings below (`users.read`, ...), and for every
// registered resource `<resource>.read`, `.create`, `.update`, `.delete` and `.action.<action>`.
// A grant is a permission, `<resource>.*` (everything on that resource) or `*` (everything).
// Anything not granted is refused: a missing rule denies, never allows.
// Outside `server/` because pages read it too, to hide what a person may not do (the procedures
// check again; hiding is never the protection).

export const ROLE_GRANTS = {
	admin: ['*'],
	member: ['featureFlags.read']
} as const satisfies Record<string, readonly string[]>;

export type Role = keyof typeof ROLE_GRANTS;

/** Every role, in the order the role pickers offer them. */
export const ROLES = Object.keys(ROLE_GRANTS) as [Role, ...Role[]];

/**
 * The permissions of the built-in procedures an API token can reach (the verified and admin
 * tiers), with what each lets a token do. A procedure names its own in `.meta({ scope })`; the
 * resources' permissions come from their definitions. A token names these in its scopes; a
 * person's session is checked by its tier and role as before.
 */
export const BUILTIN_PERMISSIONS = {
	'account.read':
		'your own profile, sessions, remembered devices, history, backup-token count and security keys',
	'account.update': 'end your own sessions',
	'users.read': 'list, find and read users, their history and their second factors (no secrets)',
	'users.create':
		'create and invite members, resend their invitations (an admin needs a person with a fresh code)',
	'users.update': 'unlock accounts, revoke invitations',
	'sessions.read': "list everyone's sessions",
	'sessions.delete': "end anyone's session",
	'audit.read': 'the audit log, its events and the dashboard',
	'backupTokens.read': "count a user's unused backup tokens"
} as const satisfies Record<string, string>;

export type BuiltinPermission = keyof typeof BUILTIN_PERMISSIONS;

/**
 * Every signed-in person acts on their own account: every defined role holds these, whatever its
 * grants (a role nobody defined still holds nothing).
 */
const OWN_ACCOUNT: readonly string[] = ['account.read', 'account.update'];

/** The resource names the built-in permissions use: no registered resource may take one. */
export const BUILTIN_PERMISSION_RESOURCES = [
	...new Set(Object.keys(BUILTIN_PERMISSIONS).map((permission) => permission.split('.')[0]!))
];

/** What a role's grants say about one permission. Unknown roles may do nothing. */
export function roleCan(role: string, permission: string): boolean {
	if (!Object.hasOwn(ROLE_GRANTS, role)) return false;
	if (OWN_ACCOUNT.includes(permission)) return true;
	const grants: readonly string[] = ROLE_GRANTS[role as Role];
	return grants.some(
		(grant) =>
			grant === '*' ||
			grant === permission ||
			(grant.endsWith('.*') && permission.startsWith(grant.slice(0, -1)))
	);
}
