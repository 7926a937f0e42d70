// What the audit log needs to show rows about resource rows (label, link, where the titles are),
// built once from the registry: the audit service takes it as plain data, so services never read
// the resource definitions.
import type { AnyResource } from '../resources/define';
import { resources } from '../resources/registry';
import { referenceTarget } from '../resources/targets';
import type { AuditSubjectTypes } from '../services/audit';

export const auditSubjects: AuditSubjectTypes = Object.fromEntries(
	Object.values(resources as Record<string, AnyResource>).map((resource) => {
		const target = referenceTarget(resource.name, resources);
		return [
			resource.name,
			{
				labelOne: resource.labelOne,
				href: target.path,
				table: target.table,
				titleColumn: target.titleColumn
			}
		];
	})
);
