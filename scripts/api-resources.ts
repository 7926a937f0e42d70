// The "Resources" part of docs/API.md, from the registry: for each resource its procedures'
// namespace, the permission of every operation and action (and which need a fresh code), the
// fields with their kinds and rules, and what its list searches, filters and sorts by. The
// procedures themselves (inputs as JSON Schema) follow in the reference's "Procedures" part.
import type { AnyResource } from '../src/lib/server/resources/define';
import { describeResource, type FieldDescription } from '../src/lib/server/resources/describe';

const KINDS: Record<FieldDescription['kind'], string> = {
	text: 'text',
	longText: 'long text',
	integer: 'whole number',
	decimal: 'decimal (a string, e.g. `"12.50"`)',
	boolean: 'yes/no',
	choice: 'choice',
	date: 'date (`"YYYY-MM-DD"`)',
	datetime: 'date and time (a superjson Date, or an ISO string)',
	reference: 'reference',
	computed: 'computed'
};

const code = (value: unknown) => `\`${String(value)}\``;
const list = (values: readonly string[]) => (values.length ? values.map(code).join(', ') : 'none');

/** The rules a field's values follow, in words. */
function rules(field: FieldDescription): string {
	const parts: string[] = [];
	if (field.readOnly) parts.push('read-only: answers carry it, inputs may not');
	else if (field.optional) parts.push('optional (null)');
	else if (field.default !== null) parts.push(`defaults to ${code(field.default)}`);
	else parts.push('required');
	if (field.kind === 'text' || field.kind === 'longText') {
		parts.push(`${field.min ?? 1} to ${field.max} characters`);
	} else if (field.min !== null || field.max !== null) {
		parts.push(`from ${field.min ?? 'any'} to ${field.max ?? 'any'}`);
	}
	if (field.scale !== null) {
		parts.push(`at most ${field.scale} decimal place${field.scale === 1 ? '' : 's'}`);
	}
	if (field.choices) parts.push(`one of ${list(field.choices)}`);
	if (field.target) {
		parts.push(`the id of a row of ${code(field.target)}; answers carry \`{ id, title }\``);
	}
	if (field.unique) parts.push('unique');
	if (field.secret) parts.push('secret: the audit trail records that it changed, not its values');
	const text = parts.join('; ') + (field.hint ? `. ${field.hint}` : '');
	return text.replace(/\|/g, '\\|');
}

function renderResource(resource: AnyResource): string[] {
	const described = describeResource(resource, 'admin');
	const stepUp = (name: string) => (resource.stepUp.has(name) ? 'yes' : '');
	const lines = [
		`### ${described.label} (\`resources.${resource.name}.*\`)`,
		'',
		...(described.description ? [described.description, ''] : []),
		`Pages at \`/resources/${resource.path}\`; a row is named by its ${code(described.title)}.`,
		'',
		'| operation | permission | needs a fresh code |',
		'| --- | --- | --- |',
		`| read (list, get, history, references, exportPage) | ${code(resource.permission('read'))} | |`,
		...(['create', 'update', 'delete'] as const).map(
			(operation) =>
				`| ${operation} | ${code(resource.permission(operation))} | ${stepUp(operation)} |`
		),
		...described.actions.map(
			(action) =>
				`| action ${code(action.name)} ("${action.label}"${action.bulk ? ', also bulk' : ''}) | ${code(resource.permission(`action.${action.name}`))} | ${stepUp(action.name)} |`
		),
		'',
		'`options` needs the create or the update permission.',
		'',
		'| field | kind | label | rules |',
		'| --- | --- | --- | --- |',
		...described.fields.map(
			(field) => `| ${code(field.name)} | ${KINDS[field.kind]} | ${field.label} | ${rules(field)} |`
		),
		'',
		'Every row also has `id`, `version` (what `update`, `delete`, `action` and `bulk` take back),',
		'`createdAt` and `updatedAt`.',
		'',
		`List: searches ${list(described.list.search)}; filters ${list(described.list.filters)};`,
		`sorts by ${list(described.list.sort)} (\`-name\` for descending, default ${code(described.list.defaultSort || 'id')});`,
		`${described.list.pageSize} rows a page unless \`pageSize\` says 10, 25, 50 or 100.`,
		''
	];
	return lines;
}

/** The section, from `## Resources` on; empty when no resource is registered. */
export function renderResources(all: AnyResource[]): string[] {
	if (all.length === 0) return [];
	return [
		'## Resources',
		'',
		'Each registered table has the same procedures under `resources.<name>.*` (listed under',
		'Procedures below, with their inputs), all on the `verified` tier; each checks the role',
		'permission named here (`src/lib/permissions.ts` grants them), and a refusal is `FORBIDDEN`',
		'naming it. `resourceCatalog` describes the resources your role may read.',
		'',
		...all.flatMap(renderResource)
	];
}
