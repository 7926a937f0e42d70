// Start-up checks across definitions, which one definition alone cannot make: each is registered
// under its own name, no two share a table, no name is one the built-in permissions use (its
// `users.read` would be theirs), and every reference points at `users` or at a registered
// resource. A mistake stops the app at start with the resource and field named.
import { BUILTIN_PERMISSION_RESOURCES } from '../../permissions';
import { ResourceDefinitionError, type AnyResource } from './define';

/** The app's own tables and the migrator's: no resource may manage them as its own. */
const APP_TABLES = new Set([
	'users',
	'sessions',
	'email_otps',
	'backup_tokens',
	'rate_limits',
	'setup_tokens',
	'audit_log',
	'mail_outbox',
	'otp_email_changes',
	'api_tokens',
	'kysely_migration',
	'kysely_migration_lock'
]);

export function checkRegistry<R extends Record<string, AnyResource>>(resources: R): R {
	const tables = new Set<string>();
	for (const [key, resource] of Object.entries(resources)) {
		if (key !== resource.name) {
			throw new ResourceDefinitionError(`Resource ${resource.name} is registered as ${key}`);
		}
		if (tables.has(resource.table) || APP_TABLES.has(resource.table)) {
			throw new ResourceDefinitionError(`Resource ${key}: table ${resource.table} is taken`);
		}
		tables.add(resource.table);
		if (BUILTIN_PERMISSION_RESOURCES.includes(key)) {
			throw new ResourceDefinitionError(
				`Resource ${key}: the name is taken by the built-in permissions (${key}.*)`
			);
		}
		for (const [field, definition] of Object.entries(resource.fields)) {
			const target = definition.target;
			if (
				definition.kind === 'reference' &&
				target !== 'users' &&
				!Object.hasOwn(resources, target ?? '')
			) {
				throw new ResourceDefinitionError(
					`Resource ${key}: field ${field} refers to ${target}, which is not registered`
				);
			}
		}
	}
	return resources;
}
