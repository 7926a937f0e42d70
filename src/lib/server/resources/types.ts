// The types of resource definitions and of what is derived from them: the config a definition
// file writes, the resource `defineResource` makes of it, and the API's row and input types,
// worked out from the fields so a client in another tool gets them exactly.
import type { z } from 'zod';
import type { Actor } from '../services/actor';
import type { ServiceDeps } from '../services/deps';
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

/** Any resource, for code that works on all of them (the registry, the generic service). */
export type AnyResource = Resource<Fields, string, string, string>;
