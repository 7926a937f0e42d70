// Every permission an API token may name, grouped for people choosing them: the built-in
// procedures' table (permissions.ts) and each registered resource's operations and actions, except
// those its definition lists under `stepUp` (they need a person's fresh code, which no token has:
// offering them would promise what can never work). Built once from the registry: the API token
// service takes it as plain data, so services never read the resource definitions.
import { BUILTIN_PERMISSIONS } from '../../permissions';
import type { AnyResource } from '../resources/define';
import { resources } from '../resources/registry';
import { OPERATIONS } from '../resources/types';
import type { TokenPermissionGroup } from '../services/api-tokens';

const BUILTIN_LABELS: Record<string, string> = {
	account: 'Your account',
	users: 'Users',
	sessions: 'Sessions',
	audit: 'Audit log',
	backupTokens: 'Backup tokens'
};

function builtinGroups(): TokenPermissionGroup[] {
	const groups = new Map<string, TokenPermissionGroup>();
	for (const [permission, description] of Object.entries(BUILTIN_PERMISSIONS)) {
		const [name, operation] = permission.split('.') as [string, string];
		let group = groups.get(name);
		if (!group) {
			group = { name, label: BUILTIN_LABELS[name] ?? name, permissions: [] };
			groups.set(name, group);
		}
		group.permissions.push({ permission, label: operation, description });
	}
	return [...groups.values()];
}

function resourceGroup(resource: AnyResource): TokenPermissionGroup {
	const one = resource.labelOne;
	const descriptions: Record<(typeof OPERATIONS)[number], string> = {
		read: `list, read and export ${resource.label.toLowerCase()}`,
		create: `create a ${one}`,
		update: `change a ${one}`,
		delete: `delete a ${one}`
	};
	return {
		name: resource.name,
		label: resource.label,
		permissions: [
			...OPERATIONS.filter((operation) => !resource.stepUp.has(operation)).map((operation) => ({
				permission: resource.permission(operation),
				label: operation,
				description: descriptions[operation]
			})),
			...Object.entries(resource.actions)
				.filter(([name]) => !resource.stepUp.has(name))
				.map(([name, action]) => ({
					permission: resource.permission(`action.${name}`),
					label: action.label,
					description: `the “${action.label}” action`
				}))
		]
	};
}

export const tokenPermissionGroups: readonly TokenPermissionGroup[] = [
	...builtinGroups(),
	...Object.values(resources as Record<string, AnyResource>).map(resourceGroup)
];
