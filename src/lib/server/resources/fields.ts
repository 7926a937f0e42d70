// The kinds of field a resource definition is made of. Each field knows its input schema (one
// value, never null: `optional` adds null), how a value is stored and read back on both databases,
// and what the pages need to draw it. Storage is chosen so that both SQLite and MySQL sort and
// compare the same way: booleans as 0/1, dates as 'YYYY-MM-DD' text, datetimes as Unix
// milliseconds, decimals as whole numbers of their smallest unit (exact, and sortable as numbers).
// Longer than most files here (about 390 lines) on purpose: one constructor per kind, in one
// module, so a definition imports every kind from one place and the kinds read as one table.
import { z } from 'zod';

export type FieldKind =
	| 'text'
	| 'longText'
	| 'integer'
	| 'decimal'
	| 'boolean'
	| 'choice'
	| 'date'
	| 'datetime'
	| 'reference'
	| 'computed';

/** What every field kind's options share. */
export interface FieldOptions {
	/** Shown on forms and column headers; defaults to the field's name in words. */
	label?: string;
	/** One line under the input on forms. */
	hint?: string;
	/** The column, if it is not the field's name in snake_case. */
	column?: string;
	/** May be empty (null). */
	optional?: boolean;
	/** Never written to the audit trail (changes are recorded as "changed", without values). */
	secret?: boolean;
}

/** A reference's value as the API returns it: the row's id and its title. */
export interface ReferenceValue {
	id: string;
	title: string;
}

/**
 * One field. `Value` is what the API takes and returns (references return `ReferenceValue`);
 * `Optional` says whether null is allowed.
 */
export interface Field<
	Value = unknown,
	Optional extends boolean = boolean,
	Kind = FieldKind,
	ReadOnly extends boolean = boolean,
	Defaulted extends boolean = boolean
> {
	kind: Kind;
	label?: string;
	hint?: string;
	column?: string;
	optional: Optional;
	/** Shown, never written through the API or forms (`readOnly(field)`, computed fields). */
	readOnly: ReadOnly;
	secret: boolean;
	/** Text and long text: LIKE search is allowed on it. */
	searchable: boolean;
	/** Values are unique in the table (the migration's unique index enforces it). */
	unique: boolean;
	/** Schema of one input value (not null). */
	input: z.ZodType;
	/** Value for a create that leaves the field out, if any. */
	default?: unknown;
	/** Type-level only: whether a create may leave the field out because it has a default. */
	readonly defaulted?: Defaulted;
	/** The stored value to the API's value. */
	read(raw: unknown): Value;
	/** The API's value (already validated) to the stored one. */
	write(value: unknown): unknown;
	/** Choices of a `choice` field. */
	choices?: readonly string[];
	/** Target of a `reference` field: `users` or a resource's name. */
	target?: string;
	/** Decimal places of a `decimal` field. */
	scale?: number;
	/** Limits the pages show (length or range). */
	min?: number;
	max?: number;
	/** Computed fields: the value from the row's other fields. */
	compute?: (row: Record<string, unknown>) => Value;
}

type Nullable<V, O extends boolean> = O extends true ? V | null : V;
/** A constructor called without options. */
type NoOptions = Record<never, never>;
/** Whether options say `optional: true`, and whether they give a `default`. */
type Opt<T> = T extends { optional: true } ? true : false;
type Def<T> = T extends { default: unknown } ? true : false;
/** A constructor's field type, from the options it was given. */
type FieldOf<V, T, K extends FieldKind> = Field<Nullable<V, Opt<T>>, Opt<T>, K, false, Def<T>>;

function base(
	options: FieldOptions & { optional?: boolean }
): Pick<Field, 'label' | 'hint' | 'column' | 'secret'> & { optional: never; readOnly: false } {
	return {
		label: options.label,
		hint: options.hint,
		column: options.column,
		// Typed by each constructor's return type (from its options), which this cannot name.
		optional: (options.optional ?? false) as never,
		readOnly: false,
		secret: options.secret ?? false
	};
}

/** The field, shown on pages and returned by the API, but never written by either. */
export function readOnly<V, O extends boolean, K, D extends boolean>(
	field: Field<V, O, K, false, D>
): Field<V, O, K, true, D> {
	return { ...field, readOnly: true };
}

const identity = (value: unknown) => value;

interface TextOptions<O extends boolean> extends FieldOptions {
	optional?: O;
	min?: number;
	max?: number;
	unique?: boolean;
	default?: string;
}

/** One line of text (default at most 255 characters; the migration's varchar must hold `max`). */
export function text<const T extends TextOptions<boolean> = NoOptions>(
	options: T = {} as T
): NoInfer<FieldOf<string, T, 'text'>> {
	const max = options.max ?? 255;
	const min = options.min ?? 1;
	return {
		...base(options),
		kind: 'text',
		searchable: true,
		unique: options.unique ?? false,
		input: z
			.string()
			.trim()
			.min(min, { error: min === 1 ? 'Required' : `At least ${min} characters` })
			.max(max, { error: `At most ${max} characters` })
			.refine((value) => !/\p{Cc}/u.test(value), {
				error: 'No line breaks or control characters'
			}),
		default: options.default,
		min,
		max,
		read: (raw) => raw as never,
		write: identity
	};
}

/** Paragraphs of text (default at most 10,000 characters; a `text` column). */
export function longText<const T extends Omit<TextOptions<boolean>, 'unique'> = NoOptions>(
	options: T = {} as T
): NoInfer<FieldOf<string, T, 'longText'>> {
	const max = options.max ?? 10_000;
	return {
		...base(options),
		kind: 'longText',
		searchable: true,
		unique: false,
		// Line endings as browsers send them (CRLF) are stored as LF, so the length is the same
		// whichever way the text arrived.
		input: z
			.string()
			.transform((value) => value.replace(/\r\n?/g, '\n').trim())
			.pipe(
				z
					.string()
					.min(1, { error: 'Required' })
					.max(max, { error: `At most ${max} characters` })
			),
		default: options.default,
		max,
		read: (raw) => raw as never,
		write: identity
	};
}

interface NumberOptions<O extends boolean> extends FieldOptions {
	optional?: O;
	min?: number;
	max?: number;
	default?: number;
}

/** A whole number within ±2^53 (a `bigint` column holds any of them). */
export function integer<const T extends NumberOptions<boolean> = NoOptions>(
	options: T = {} as T
): NoInfer<FieldOf<number, T, 'integer'>> {
	const min = options.min ?? Number.MIN_SAFE_INTEGER;
	const max = options.max ?? Number.MAX_SAFE_INTEGER;
	return {
		...base(options),
		kind: 'integer',
		searchable: false,
		unique: false,
		input: z
			.number({ error: 'A whole number' })
			.int({ error: 'A whole number' })
			.min(min, { error: `At least ${min}` })
			.max(max, { error: `At most ${max}` }),
		default: options.default,
		min: options.min,
		max: options.max,
		// mysql2 returns BIGINT as a string.
		read: (raw) => (raw === null ? null : Number(raw)) as never,
		write: identity
	};
}

interface DecimalOptions<O extends boolean> extends FieldOptions {
	optional?: O;
	/** Digits after the point (default 2). */
	scale?: number;
	min?: number;
	max?: number;
	default?: string;
}

/**
 * An exact decimal, as a string ('12.50') on the API so no float rounds it. Stored as a whole
 * number of its smallest unit (cents for scale 2) in a `bigint` column: exact and sortable on
 * both databases, where SQLite has no decimal type.
 */
export function decimal<const T extends DecimalOptions<boolean> = NoOptions>(
	options: T = {} as T
): NoInfer<FieldOf<string, T, 'decimal'>> {
	const scale = options.scale ?? 2;
	const unit = 10n ** BigInt(scale);
	// At most 15 digits in all, so the stored whole number stays exact in a JavaScript number.
	const pattern = new RegExp(`^-?\\d{1,${15 - scale}}(\\.\\d{1,${scale}})?$`);
	const toUnits = (value: string): bigint => {
		const [whole = '0', fraction = ''] = value.replace('-', '').split('.');
		const units = BigInt(whole) * unit + BigInt(fraction.padEnd(scale, '0') || '0');
		return value.startsWith('-') ? -units : units;
	};
	const format = (units: bigint): string => {
		const sign = units < 0n ? '-' : '';
		const abs = units < 0n ? -units : units;
		if (scale === 0) return `${sign}${abs}`;
		return `${sign}${abs / unit}.${(abs % unit).toString().padStart(scale, '0')}`;
	};
	let input = z
		.union([z.string(), z.number().transform(String)])
		.transform((value) => value.trim())
		.refine((value) => pattern.test(value), {
			error: `A number with at most ${scale} decimal places`,
			// The range checks below convert the value: they must not see one that is no number.
			abort: true
		});
	if (options.min !== undefined) {
		const min = toUnits(String(options.min));
		input = input.refine((value) => !pattern.test(value) || toUnits(value) >= min, {
			error: `At least ${options.min}`
		});
	}
	if (options.max !== undefined) {
		const max = toUnits(String(options.max));
		input = input.refine((value) => !pattern.test(value) || toUnits(value) <= max, {
			error: `At most ${options.max}`
		});
	}
	return {
		...base(options),
		kind: 'decimal',
		searchable: false,
		unique: false,
		input: input.transform((value) => format(toUnits(value))),
		default: options.default,
		scale,
		min: options.min,
		max: options.max,
		read: (raw) => (raw === null ? null : format(BigInt(raw as string | number))) as never,
		write: (value) => (value === null ? null : Number(toUnits(value as string)))
	};
}

/** Yes or no (never null); stored as 0 or 1. Defaults to false on create. */
export function boolean(
	options: Omit<FieldOptions, 'optional'> & { default?: boolean } = {}
): Field<boolean, false, 'boolean', false, true> {
	return {
		...base({ ...options, optional: false }),
		kind: 'boolean',
		searchable: false,
		unique: false,
		input: z.boolean({ error: 'Yes or no' }),
		default: options.default ?? false,
		read: (raw) => Number(raw) === 1,
		write: (value) => (value ? 1 : 0)
	};
}

/** One of a fixed list of strings; stored as the string itself. */
export function choice<
	const C extends readonly [string, ...string[]],
	const T extends FieldOptions & { optional?: boolean; default?: C[number] } = NoOptions
>(choices: C, options: T = {} as T): NoInfer<FieldOf<C[number], T, 'choice'>> {
	return {
		...base(options),
		kind: 'choice',
		searchable: false,
		unique: false,
		input: z.enum(choices, { error: `One of: ${choices.join(', ')}` }),
		default: options.default,
		choices,
		read: (raw) => raw as never,
		write: identity
	};
}

/** A calendar date, 'YYYY-MM-DD' (no time zone); stored as that text, which sorts by date. */
export function date<const T extends FieldOptions & { optional?: boolean } = NoOptions>(
	options: T = {} as T
): NoInfer<FieldOf<string, T, 'date'>> {
	return {
		...base(options),
		kind: 'date',
		searchable: false,
		unique: false,
		input: z.iso.date({ error: 'A date (YYYY-MM-DD)' }),
		read: (raw) => raw as never,
		write: identity
	};
}

/** A moment in time; a Date on the API (superjson carries it), Unix milliseconds when stored. */
export function datetime<const T extends FieldOptions & { optional?: boolean } = NoOptions>(
	options: T = {} as T
): NoInfer<FieldOf<Date, T, 'datetime'>> {
	return {
		...base(options),
		kind: 'datetime',
		searchable: false,
		unique: false,
		// A Date (superjson) or text; never null or a number coerced to 1970.
		input: z
			.union([z.date(), z.string().min(1)], { error: 'A date and time' })
			.pipe(
				z.coerce
					.date<string | Date>({ error: 'A date and time' })
					.min(new Date('1970-01-01T00:00:00Z'), { error: 'From 1970 on' })
					.max(new Date('9999-12-31T23:59:59Z'), { error: 'Before the year 10000' })
			),
		read: (raw) => (raw === null ? null : new Date(Number(raw))) as never,
		write: (value) => (value === null ? null : (value as Date).getTime())
	};
}

/**
 * The id of a row of another resource, or of a user (`reference('users')`); the API returns
 * `{ id, title }`. The referenced row must exist when written; what happens to this row when that
 * one is deleted is the migration's foreign key (optional references: SET NULL; required ones:
 * the delete is refused while rows refer to it).
 */
export function reference<const T extends FieldOptions & { optional?: boolean } = NoOptions>(
	target: string,
	options: T = {} as T
): NoInfer<FieldOf<ReferenceValue, T, 'reference'>> {
	return {
		...base(options),
		kind: 'reference',
		searchable: false,
		unique: false,
		input: z.string().regex(/^[a-z2-7]{1,32}$/, { error: 'Not a valid id' }),
		target,
		// The title is joined in by a list's statement, or filled in afterwards (resources/rows.ts).
		read: (raw) => (raw === null ? null : { id: raw as string, title: '' }) as never,
		write: identity
	};
}

/** A read-only value worked out from the row's other fields (never stored or written). */
export function computed<V extends string | number | boolean | null>(
	compute: (row: Record<string, unknown>) => V,
	options: Pick<FieldOptions, 'label' | 'hint'> = {}
): Field<V, false, 'computed', true, false> {
	return {
		...base(options),
		optional: false,
		readOnly: true,
		kind: 'computed',
		searchable: false,
		unique: false,
		input: z.never(),
		compute,
		read: (raw) => raw as V,
		write: identity
	};
}

/** The value type of a field, as the API returns it. */
export type FieldValue<F> = F extends Field<infer V> ? V : never;
