// The role pickers' choices, from the one file that defines roles: a new role appears in them.
import { ROLES } from '$lib/permissions';

export const roleChoices = ROLES.map((role) => ({
	value: role,
	label: role.charAt(0).toUpperCase() + role.slice(1)
}));
