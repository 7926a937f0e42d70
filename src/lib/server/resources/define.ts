// `defineResource`: one table's whole admin and API from one definition. The definition is
// checked when it is made (a typo in a list column or filter is an error at start-up, with the
// resource and the name in the message), and everything else is derived from it here: the
// permission strings, the strict input schemas of every procedure, the output row type and the
// description the pages draw from. Standard columns every resource table has (its migration
// creates them): `id` (random, like every id here), `version` (1, then one more per change: the
// stale-edit check), `created_at` and `updated_at` (Unix ms).
import { buildSchemas } from './schemas';
import type { Field } from './fields';
import {
	OPERATIONS,
	STANDARD_COLUMNS,
	type ActionDefinition,
	type AnyResource,
	type Fields,
	type Resource,
	type ResourceConfig,
	type SortKey
} from './types';

// Definition files and the generic code import the types from here, with defineResource.
export type * from './types';

const NAME = /^[a-z][a-zA-Z0-9]{0,47}$/;
type Key<F> = Extract<keyof F, string>;

/** A definition error: which resource, what is wrong. */
export class ResourceDefinitionError extends Error {}

function words(name: string): string {
	const spaced = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
	return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

export const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The label a field shows: its own, or its name in words. */
export function fieldLabel(key: string, field: Pick<Field, 'label'>): string {
	return field.label ?? words(key);
}

export function defineResource<
	const F extends Fields,
	const A extends string = never,
	const Filter extends Key<F> = never,
	const Sort extends SortKey<F> = never
>(config: ResourceConfig<F, A, Filter, Sort>): Resource<F, A, Filter, Sort> {
	const fail = (message: string): never => {
		throw new ResourceDefinitionError(`Resource ${config.name}: ${message}`);
	};
	if (!NAME.test(config.name)) fail('name must be camelCase letters and digits');
	if (!/^[a-z][a-z0-9_]{0,63}$/.test(config.table)) fail('table must be snake_case');
	const fields = config.fields;
	const keys = Object.keys(fields);
	const isField = (key: string) => Object.hasOwn(fields, key);
	for (const key of keys) {
		if (!NAME.test(key)) fail(`field ${key}: names are camelCase`);
		if (['id', 'version', ...STANDARD_COLUMNS].includes(key))
			fail(`field ${key} is a standard column`);
		// Deleting a user must never fail on a row that points at them: the migration's foreign key
		// sets such a reference to null, which only an optional field allows.
		const field = fields[key];
		if (field?.kind === 'reference' && field.target === 'users' && !field.optional) {
			fail(`field ${key}: a reference to users must be optional (users can be deleted)`);
		}
	}
	const title = fields[config.title];
	if (!title || title.kind !== 'text') fail(`title ${config.title} must be a text field`);
	const listed = [...config.list.columns];
	for (const key of listed) {
		if (!isField(key) && !(STANDARD_COLUMNS as readonly string[]).includes(key)) {
			fail(`list column ${key} is not a field`);
		}
	}
	for (const key of config.list.search ?? []) {
		if (!fields[key]?.searchable) fail(`search field ${key} must be a text field`);
	}
	for (const key of config.list.filters ?? []) {
		const kind = fields[key]?.kind;
		if (kind !== 'choice' && kind !== 'boolean' && kind !== 'reference') {
			fail(`filter ${key} must be a choice, yes/no or reference field`);
		}
		// Filters are URL parameters of the list page, beside these.
		if (['q', 'sort', 'page', 'pageSize'].includes(key)) {
			fail(`filter ${key} would clash with the list page's ${key} parameter: rename the field`);
		}
	}
	const sortable: string[] = [...(config.list.sort ?? [])];
	for (const key of sortable) {
		const kind = fields[key]?.kind;
		if (
			!(STANDARD_COLUMNS as readonly string[]).includes(key) &&
			(!kind || kind === 'computed' || kind === 'reference' || kind === 'longText')
		) {
			fail(`sort ${key} must be a stored field that is not a reference or long text`);
		}
	}
	const defaultSort =
		config.list.defaultSort ??
		(sortable.includes(config.title) ? config.title : (sortable[0] ?? ''));
	if (defaultSort && !sortable.includes(defaultSort.replace(/^-/, ''))) {
		fail(`defaultSort ${defaultSort} is not in list.sort`);
	}
	const actions = (config.actions ?? {}) as Record<A, ActionDefinition<F>>;
	for (const [action, definition] of Object.entries<ActionDefinition<F>>(actions)) {
		if (!NAME.test(action) || (OPERATIONS as readonly string[]).includes(action))
			fail(`action ${action}: a camelCase name that is not an operation`);
		if (!definition.set === !definition.run)
			fail(`action ${action} needs exactly one of set and run`);
		for (const key of Object.keys(definition.set ?? {})) {
			if (!isField(key) || fields[key]?.readOnly)
				fail(`action ${action} sets ${key}, which is not a writable field`);
		}
	}
	for (const step of config.stepUp ?? []) {
		if (!['create', 'update', 'delete'].includes(step) && !Object.hasOwn(actions, step))
			fail(`stepUp ${step} is neither an operation nor an action`);
	}

	const columns: Record<string, string> = {};
	for (const [key, field] of Object.entries(fields)) {
		if (field.kind !== 'computed') columns[key] = field.column ?? snakeCase(key);
	}
	const label = config.label ?? words(config.name);
	const resource: Resource<F, A, Filter, Sort> = {
		name: config.name,
		label,
		labelOne: config.labelOne ?? label.toLowerCase().replace(/s$/, ''),
		path: config.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
		table: config.table,
		title: config.title,
		fields,
		columns,
		list: {
			columns: listed,
			search: [...(config.list.search ?? [])],
			filters: [...(config.list.filters ?? [])],
			sort: sortable,
			defaultSort,
			pageSize: config.list.pageSize ?? 25
		},
		stepUp: new Set(config.stepUp ?? []),
		actions,
		description: config.description,
		permission: (operation) => `${config.name}.${operation}`,
		schemas: undefined as never
	};
	resource.schemas = buildSchemas(resource);
	return resource;
}

/** A field of the resource by name; names come from the definition or a schema that checked them. */
export function fieldOf(resource: AnyResource, key: string): Field {
	const field = resource.fields[key];
	if (!field) throw new ResourceDefinitionError(`Resource ${resource.name} has no field ${key}`);
	return field;
}

/** The column of a stored field. */
export function columnOf(resource: AnyResource, key: string): string {
	const column = resource.columns[key];
	if (!column)
		throw new ResourceDefinitionError(`Resource ${resource.name} stores no field ${key}`);
	return column;
}
