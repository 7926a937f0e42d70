// `defineResource`: one table's whole admin and API from one definition. The definition is
// checked when it is made (a typo in a list column or filter is an error at start-up, with the
// resource and the name in the message), and everything else is derived from it here: the
// permission strings, the strict input schemas of every procedure, the output row type and the
// description the pages draw from. Standard columns every resource table has (its migration
// creates them): `id` (random, like every id here), `version` (1, then one more per change: the
// stale-edit check), `created_at` and `updated_at` (Unix ms).
import { z } from 'zod';
import type { ServiceDeps } from '../services/deps';
import type { Actor } from '../services/actor';
import type { Field, FieldKind, ReferenceValue } from './fields';

/** Columns every resource has besides its fields; they can be listed and sorted. */
export const STANDARD_COLUMNS = ['createdAt', 'updatedAt'] as const;
type StandardColumn = (typeof STANDARD_COLUMNS)[number];

export type Fields = Record<string, Field>;
type Key<F> = Extract<keyof F, string>;

/** The operations every resource has; each is a permission `<resource>.<operation>`. */
export const OPERATIONS = ['read', 'create', 'update', 'delete'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** A row as the API returns it. */
export type ResourceRow<F extends Fields> = {
	id: string;
	version: number;
	createdAt: Date;
	updatedAt: Date;
} & { [K in keyof F]: F[K] extends Field<infer V> ? V : never };

type WritableKey<F extends Fields> = {
	[K in Key<F>]: F[K] extends Field<unknown, boolean, FieldKind, true> ? never : K;
}[Key<F>];
type InputValue<F> =
	F extends Field<infer V, infer O>
		? V extends ReferenceValue | null
			? string | (O extends true ? null : never)
			: V extends Date | null
				? Date | string | (O extends true ? null : never)
				: V
		: never;
type OptionalOnCreate<F extends Fields> = {
	[K in WritableKey<F>]: F[K] extends Field<unknown, true>
		? K
		: F[K] extends Field<unknown, boolean, FieldKind, boolean, true>
			? K
			: never;
}[WritableKey<F>];

/** What `create` takes: every writable field; optional ones and ones with a default may be left out. */
export type CreateInput<F extends Fields> = {
	[K in Exclude<WritableKey<F>, OptionalOnCreate<F>>]: InputValue<F[K]>;
} & { [K in OptionalOnCreate<F>]?: InputValue<F[K]> };

/** A row's id and the version it was read at: what every change names. */
export interface RowVersion {
	id: string;
	version: number;
}

export type SortKey<F extends Fields> = Key<F> | StandardColumn;

export interface ListQuery {
	search?: string;
	filter: Record<string, unknown>;
	sort: string;
	page: number;
	pageSize: number;
}

type FilterValue<F> =
	F extends Field<infer V>
		? V extends boolean
			? boolean | 'true' | 'false'
			: V extends ReferenceValue | null
				? string
				: Exclude<V, null>
		: never;

/** What `list` takes: search, filters by name, sort as `name` or `-name`, page and page size. */
export interface ListInput<F extends Fields, Filter extends string, Sort extends string> {
	search?: string;
	filter?: { [K in Filter]?: K extends keyof F ? FilterValue<F[K]> : never };
	sort?: Sort | `-${Sort}`;
	page?: number;
	pageSize?: number;
}

/**
 * A named thing people do to rows, on one row's page or to the rows selected on the list
 * (`bulk`). `set` changes fields (versioned and audited like an edit); `run` does anything else
 * inside the same transaction, and the rows' versions move on afterwards.
 */
export interface ActionDefinition<F extends Fields> {
	label: string;
	/** Offered for the rows selected on the list, too. */
	bulk?: boolean;
	/** The question the page asks before running it. */
	confirm?: string;
	set?: Partial<CreateInput<F>>;
	run?(deps: ServiceDeps, rows: ResourceRow<F>[], actor: Actor): Promise<void>;
}

export interface ResourceConfig<
	F extends Fields,
	A extends string,
	Filter extends Key<F>,
	Sort extends SortKey<F>
> {
	/** API namespace (`resources.<name>`) and permission prefix; camelCase. */
	name: string;
	/** Plural for people ("Feature flags"); defaults to the name in words. */
	label?: string;
	/** One row ("feature flag"); defaults to the label without its last "s". */
	labelOne?: string;
	table: string;
	/** The text field that names a row: lists, references to it, the audit log. */
	title: Key<F>;
	fields: F;
	list: {
		columns: SortKey<F>[];
		/** Text fields a search looks in: every word must match one of them. */
		search?: Key<F>[];
		/** Choice, yes/no and reference fields to filter by. */
		filters?: Filter[];
		sort?: Sort[];
		/** `name` or `-name` (descending); defaults to the title. */
		defaultSort?: Sort | `-${Sort}`;
		pageSize?: 10 | 25 | 50 | 100;
	};
	/** Operations and actions that need a person's session with a fresh code. */
	stepUp?: Array<Exclude<Operation, 'read'> | NoInfer<A>>;
	actions?: Record<A, ActionDefinition<F>>;
	/** Notes for the API reference and the list page. */
	description?: string;
}

export interface Resource<
	F extends Fields = Fields,
	A extends string = string,
	Filter extends string = string,
	Sort extends string = string
> {
	name: string;
	label: string;
	labelOne: string;
	/** URL segment of its pages: the name in kebab-case. */
	path: string;
	table: string;
	title: string;
	fields: F;
	/** Field name to column name, for every stored field. */
	columns: Record<string, string>;
	list: {
		columns: string[];
		search: string[];
		filters: string[];
		sort: string[];
		defaultSort: string;
		pageSize: 10 | 25 | 50 | 100;
	};
	stepUp: ReadonlySet<string>;
	actions: Record<A, ActionDefinition<F>>;
	description?: string;
	/** `<name>.<operation>` or `<name>.action.<action>`. */
	permission(operation: Operation | `action.${A}`): string;
	schemas: ResourceSchemas<F, A, Filter, Sort>;
}

export interface ResourceSchemas<
	F extends Fields,
	A extends string,
	Filter extends string,
	Sort extends string
> {
	list: z.ZodType<ListQuery, ListInput<F, Filter & Key<F>, Sort>>;
	create: z.ZodType<Record<string, unknown>, CreateInput<F>>;
	update: z.ZodType<
		RowVersion & { values: Record<string, unknown> },
		RowVersion & { values: Partial<CreateInput<F>> }
	>;
	row: z.ZodType<RowVersion, RowVersion>;
	bulk: z.ZodType<
		{ action: string; rows: RowVersion[] },
		{ action: A | 'delete'; rows: RowVersion[] }
	>;
	action: z.ZodType<{ action: string } & RowVersion, { action: A } & RowVersion>;
}

const NAME = /^[a-z][a-zA-Z0-9]{0,47}$/;
const PAGE_SIZES = [10, 25, 50, 100] as const;
export const ID_PATTERN = /^[a-z2-7]{1,32}$/;
const idSchema = z.string().regex(ID_PATTERN, { error: 'Not a valid id' });
const versionSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

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

/** One value of a field in an input: its schema, null where the field is optional. */
function valueSchema(field: Field): z.ZodType {
	return field.optional ? field.input.nullable() : field.input;
}

const flag = z.union([
	z.boolean(),
	z.enum(['true', 'false']).transform((value) => value === 'true')
]);

function buildSchemas<
	F extends Fields,
	A extends string,
	Filter extends string,
	Sort extends string
>(resource: Resource<F, A, Filter, Sort>): ResourceSchemas<F, A, Filter, Sort> {
	const writable = Object.entries(resource.fields).filter(([, field]) => !field.readOnly);
	const createShape: Record<string, z.ZodType> = {};
	const updateShape: Record<string, z.ZodType> = {};
	for (const [key, field] of writable) {
		const value = valueSchema(field);
		const leftOut = field.optional ? null : field.default;
		createShape[key] = leftOut === undefined ? value : value.optional().default(leftOut);
		updateShape[key] = value.optional();
	}
	const filterShape: Record<string, z.ZodType> = {};
	for (const key of resource.list.filters) {
		const field = fieldOf(resource as AnyResource, key);
		filterShape[key] = (field.kind === 'boolean' ? flag : field.input).optional();
	}
	const sorts = resource.list.sort.flatMap((key) => [key, `-${key}`]);
	const rowSchema = z.strictObject({ id: idSchema, version: versionSchema });
	const actionNames = Object.keys(resource.actions);
	const bulkNames = ['delete', ...actionNames.filter((name) => resource.actions[name as A].bulk)];
	return {
		list: z.strictObject({
			search: z.string().trim().max(100, { error: 'At most 100 characters' }).optional(),
			filter: z.strictObject(filterShape).default({}),
			// No sortable columns: rows come in id order and `sort` can only be left out.
			sort: sorts.length
				? z
						.enum(sorts as [string, ...string[]], { error: `One of: ${sorts.join(', ')}` })
						.default(resource.list.defaultSort)
				: z.literal('').default(''),
			page: z.coerce.number().int().min(1).max(100_000).default(1),
			pageSize: z.coerce
				.number()
				.int()
				.refine((n) => (PAGE_SIZES as readonly number[]).includes(n), {
					error: '10, 25, 50 or 100'
				})
				.default(resource.list.pageSize)
		}) as never,
		create: z.strictObject(createShape) as never,
		update: z.strictObject({
			id: idSchema,
			version: versionSchema,
			values: z.strictObject(updateShape)
		}) as never,
		row: rowSchema as never,
		bulk: z.strictObject({
			action: z.enum(bulkNames as [string, ...string[]], {
				error: `One of: ${bulkNames.join(', ')}`
			}),
			rows: z
				.array(rowSchema)
				.min(1, { error: 'Select at least one row' })
				.max(100, { error: 'At most 100 rows at once' })
		}) as never,
		action: (actionNames.length
			? z.strictObject({
					action: z.enum(actionNames as [string, ...string[]], {
						error: `One of: ${actionNames.join(', ')}`
					}),
					id: idSchema,
					version: versionSchema
				})
			: z.never()) as never
	};
}

/** Any resource, for code that works on all of them (the registry, the generic service). */
export type AnyResource = Resource<Fields, string, string, string>;

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
