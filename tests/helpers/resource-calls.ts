// Every derived procedure of every registered resource, as the security suite calls it: a
// well-formed input built from the definition, the permissions that let it through, and bad
// inputs generated per field kind. A new table in the registry is covered with no test written
// for it; a new derived procedure that this file does not know fails `uncoveredResourcePaths`.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '$lib/server/db/schema';
import { STANDARD_COLUMNS, type AnyResource } from '$lib/server/resources/types';
import type { Field } from '$lib/server/resources/fields';
import { resources } from '$lib/server/resources/registry';
import { createRow } from '$lib/server/resources/write';
import { testDeps } from '../../tools/service-deps';

export const registeredResources = Object.values(resources) as AnyResource[];

/** A row a call may aim at: its id and the version it was read at. */
export interface RowRef {
	id: string;
	version: number;
}

/** What the inputs aim at: one row of every resource and a user references may name. */
export interface CallTargets {
	rows: Record<string, RowRef>;
	/** The values each row was created with (its unique values, say). */
	values: Record<string, Record<string, unknown>>;
	userId: string;
}

export type ResourceProcedure =
	| 'list'
	| 'get'
	| 'history'
	| 'references'
	| 'options'
	| 'exportPage'
	| 'create'
	| 'update'
	| 'delete'
	| 'bulk'
	| 'action';

/** The kind of each derived procedure; a procedure missing here is uncovered. */
export const RESOURCE_PROCEDURES: Record<ResourceProcedure, 'query' | 'mutation'> = {
	list: 'query',
	get: 'query',
	history: 'query',
	references: 'query',
	options: 'query',
	exportPage: 'query',
	create: 'mutation',
	update: 'mutation',
	delete: 'mutation',
	bulk: 'mutation',
	action: 'mutation'
};

export interface ResourceCall {
	/** `resources.featureFlags.bulk`. */
	path: string;
	/** For test titles: the path, and the action where one procedure has several calls. */
	label: string;
	resource: AnyResource;
	procedure: ResourceProcedure;
	kind: 'query' | 'mutation';
	/** Any one of these lets the call through (options: create or update). */
	permissions: string[];
	/** The definition lists the operation or action under `stepUp`. */
	stepUp: boolean;
	/** A well-formed input aimed at the targets' rows. */
	input(targets: CallTargets): unknown;
}

/** A procedure whose input no value satisfies (options without reference fields, say). */
export interface UnreachableCall {
	path: string;
	reason: string;
}

const referenceFields = (resource: AnyResource) =>
	Object.entries(resource.fields).filter(([, field]) => field.kind === 'reference');
const writableFields = (resource: AnyResource) =>
	Object.entries(resource.fields).filter(([, field]) => !field.readOnly);

/** Every call the suite makes, one per procedure (bulk and action: one per action name). */
export function resourceCalls(): { calls: ResourceCall[]; unreachable: UnreachableCall[] } {
	const calls: ResourceCall[] = [];
	const unreachable: UnreachableCall[] = [];
	for (const resource of registeredResources) {
		const at = (procedure: ResourceProcedure) => `resources.${resource.name}.${procedure}`;
		const add = (
			procedure: ResourceProcedure,
			permissions: string[],
			input: ResourceCall['input'],
			options: { stepUp?: boolean; label?: string } = {}
		) =>
			calls.push({
				path: at(procedure),
				label: options.label ?? at(procedure),
				resource,
				procedure,
				kind: RESOURCE_PROCEDURES[procedure],
				permissions,
				stepUp: options.stepUp ?? false,
				input
			});
		const read = [resource.permission('read')];
		const row = (targets: CallTargets) => targets.rows[resource.name]!;
		const steps = (name: string) => resource.stepUp.has(name);

		add('list', read, () => ({ search: 'a', page: 1, pageSize: resource.list.pageSize }));
		add('get', read, (t) => ({ id: row(t).id }));
		add('history', read, (t) => ({ id: row(t).id, page: 1 }));
		add('references', read, (t) => ({ id: row(t).id }));
		add('exportPage', read, () => ({ query: {}, offset: 0 }));
		const [reference] = referenceFields(resource);
		if (reference) {
			add('options', [resource.permission('create'), resource.permission('update')], () => ({
				field: reference[0],
				search: ''
			}));
		} else {
			unreachable.push({ path: at('options'), reason: 'the resource has no reference field' });
		}
		add('create', [resource.permission('create')], (t) => validValues(resource, t), {
			stepUp: steps('create')
		});
		add(
			'update',
			[resource.permission('update')],
			(t) => ({ ...row(t), values: validValues(resource, t) }),
			{ stepUp: steps('update') }
		);
		add('delete', [resource.permission('delete')], (t) => ({ ...row(t) }), {
			stepUp: steps('delete')
		});
		add('bulk', [resource.permission('delete')], (t) => ({ action: 'delete', rows: [row(t)] }), {
			stepUp: steps('delete'),
			label: `${at('bulk')} delete`
		});
		const actions = Object.entries(resource.actions);
		for (const [name, action] of actions) {
			const permission = [resource.permission(`action.${name}`)];
			add('action', permission, (t) => ({ action: name, ...row(t) }), {
				stepUp: steps(name),
				label: `${at('action')} ${name}`
			});
			if (action.bulk) {
				add('bulk', permission, (t) => ({ action: name, rows: [row(t)] }), {
					stepUp: steps(name),
					label: `${at('bulk')} ${name}`
				});
			}
		}
		if (actions.length === 0) {
			unreachable.push({ path: at('action'), reason: 'the resource has no action' });
		}
	}
	return { calls, unreachable };
}

/**
 * The `resources.*` paths of the router that neither a call nor an unreachable entry covers: a
 * procedure the resource router gained without this file learning how to call it.
 */
export function uncoveredResourcePaths(routerPaths: string[]): string[] {
	const { calls, unreachable } = resourceCalls();
	const covered = new Set([...calls.map((c) => c.path), ...unreachable.map((u) => u.path)]);
	return routerPaths.filter((path) => path.startsWith('resources.') && !covered.has(path));
}

/** A valid value for every writable field (unique ones fresh each time). */
export function validValues(resource: AnyResource, targets: CallTargets): Record<string, unknown> {
	const values: Record<string, unknown> = {};
	for (const [key, field] of writableFields(resource)) {
		const value = validValue(field, targets);
		if (value !== undefined) values[key] = value;
	}
	return values;
}

function validValue(field: Field, targets: CallTargets): unknown {
	switch (field.kind) {
		case 'text': {
			const fresh = `v${randomBytes(8).toString('hex')}`;
			return fresh.slice(0, field.max ?? 255).padEnd(field.min ?? 1, 'a');
		}
		case 'longText':
			return 'Written by the security suite.'.slice(0, field.max ?? 10_000);
		case 'integer':
			return Math.min(Math.max(1, field.min ?? 1), field.max ?? 1);
		case 'decimal':
			return String(Math.min(Math.max(1, field.min ?? 1), field.max ?? 1));
		case 'boolean':
			return true;
		case 'choice':
			return field.choices![field.choices!.length - 1];
		case 'date':
			return '2027-01-31';
		case 'datetime':
			return new Date('2027-02-01T10:00:00Z');
		case 'reference': {
			if (field.target === 'users') return targets.userId;
			const row = targets.rows[field.target!];
			// An optional reference to a resource not seeded yet is left out.
			if (!row && field.optional) return undefined;
			if (!row) throw new Error(`no ${field.target} row to refer to`);
			return row.id;
		}
		default:
			return undefined;
	}
}

/**
 * One fresh row of every registered resource, created through the service (audit included),
 * resources referred to first; references to users name `userId`.
 */
export async function seedResourceRows(db: Kysely<Database>, userId: string): Promise<CallTargets> {
	const targets: CallTargets = { rows: {}, values: {}, userId };
	const pending = [...registeredResources];
	while (pending.length > 0) {
		const ready = pending.findIndex((resource) =>
			referenceFields(resource).every(
				([, field]) =>
					field.optional || field.target === 'users' || targets.rows[field.target!] !== undefined
			)
		);
		if (ready === -1) throw new Error('required references between resources form a cycle');
		const [resource] = pending.splice(ready, 1);
		const values = resource!.schemas.create.parse(validValues(resource!, targets));
		const actor = { actorId: userId, ip: null, userAgent: null };
		const row = await createRow(testDeps(db), resource!, resources, actor, values);
		targets.rows[resource!.name] = { id: row.id, version: row.version };
		targets.values[resource!.name] = values;
	}
	return targets;
}

// ---------------------------------------------------------------------------------------------
// Bad input, generated from the definition.

const KB10 = 'a'.repeat(10 * 1024);
const SQL = `' OR 1=1 --`;
const FULL_WIDTH = '１２３';
/** Well-formed, and names no row of any table. */
export const NOBODY_ID = 'a'.repeat(24);

/** One bad input: what is wrong, the input, and the field its error names ('' for none). */
export interface BadResourceInput {
	label: string;
	input: unknown;
	field: string;
	/** The message when it is not 'Invalid input' (a page past the end says so). */
	message?: RegExp;
}

interface BadValue {
	label: string;
	value: unknown;
	/** Refused by the data, after the schema passed it. */
	semantic?: boolean;
}

const show = (value: unknown): string => {
	if (typeof value === 'string' && value.length > 40) return `'${value[0]}' x ${value.length}`;
	if (value instanceof Date) return `Date(${value.toISOString()})`;
	const text = typeof value === 'number' ? String(value) : JSON.stringify(value);
	return text === undefined ? String(value) : text.length > 50 ? `${text.slice(0, 50)}...` : text;
};
const plain = (values: unknown[]): BadValue[] =>
	values.map((value) => ({ label: show(value), value }));

const BAD_IDS = plain([42, null, '', 'ABC', 'a'.repeat(33), SQL, FULL_WIDTH, {}, [], KB10]);
const BAD_VERSIONS = plain([0, -1, 1.5, '1', null, Number.MAX_SAFE_INTEGER + 2, {}, 'abc']);
const BAD_PAGES = plain([0, -1, 1.5, 100_001, 'abc', null, {}, []]);

/** Values a field of this kind must refuse: wrong types, out of range, overlong, malformed. */
export function badFieldValues(field: Field, targets: CallTargets | null): BadValue[] {
	const notNull = field.optional ? [] : [null];
	const kinds: Record<string, unknown[]> = {
		text: [
			42,
			true,
			[],
			{},
			'a'.repeat((field.max ?? 255) + 1),
			'line\nbreak',
			'nul\u0000',
			KB10,
			...(field.min && field.min > 1 ? ['a'.repeat(field.min - 1)] : [' '])
		],
		longText: [42, true, [], {}, '   ', 'a'.repeat((field.max ?? 10_000) + 1)],
		integer: [
			'abc',
			'12',
			1.5,
			NaN,
			Infinity,
			2 ** 53,
			{},
			[],
			FULL_WIDTH,
			...(field.min !== undefined ? [field.min - 1] : []),
			...(field.max !== undefined ? [field.max + 1] : [])
		],
		decimal: [
			'abc',
			'',
			'1e3',
			`1.${'1'.repeat((field.scale ?? 2) + 1)}`,
			'9'.repeat(16),
			FULL_WIDTH,
			true,
			{},
			[],
			NaN,
			...(field.min !== undefined ? [String(field.min - 1)] : []),
			...(field.max !== undefined ? [String(field.max + 1)] : [])
		],
		boolean: ['yes', 'true', 1, 0, null, [], {}],
		choice: ['', 'no-such-choice', 42, [], {}, KB10, (field.choices?.[0] ?? 'x').toUpperCase()],
		date: ['2027-02-30', '2027-1-1', 'not a date', '', 20270131, {}, '2027-01-31T00:00:00Z'],
		datetime: ['not a date', '', {}, [], '10000-01-01T00:00:00Z', '1969-12-31T23:59:59Z', NaN],
		reference: ['', 'ABC', 42, {}, [], SQL, KB10, 'a'.repeat(33)]
	};
	const values = plain([...(kinds[field.kind] ?? []), ...notNull]).filter(
		// A choice that upper-cases to itself (digits) is not a bad value.
		(bad) => !(field.kind === 'choice' && field.choices?.includes(bad.value as string))
	);
	if (field.kind === 'reference' && targets) {
		values.push({ label: 'a well-formed id of no row', value: NOBODY_ID, semantic: true });
	}
	return values;
}

/** The names a resource's list filters and sorts by must not accept. */
function badSorts(resource: AnyResource): BadValue[] {
	const unsortable = Object.keys(resource.fields).filter(
		(key) => !resource.list.sort.includes(key)
	);
	return plain([
		'nope',
		'-nope',
		'id',
		'--x',
		42,
		null,
		SQL,
		...unsortable,
		...unsortable.map((k) => `-${k}`)
	]);
}

function badFilters(resource: AnyResource): BadValue[] {
	const others = Object.keys(resource.fields).filter((key) => !resource.list.filters.includes(key));
	const bad: BadValue[] = plain(['x', 42, [], null, { nope: 'x' }, { __proto__x: 1 }]);
	for (const key of others) bad.push({ label: `{${key}} (not a filter)`, value: { [key]: 'x' } });
	for (const key of resource.list.filters) {
		const field = resource.fields[key]!;
		// Filters are left out, never null.
		const values =
			field.kind === 'boolean'
				? plain(['yes', 1, 0, null, [], {}])
				: [...badFieldValues(field, null).filter((bad) => bad.value !== null), ...plain([null])];
		for (const bad of values) bad.label = `{${key}: ${bad.label}}`;
		bad.push(...values.map((v) => ({ ...v, value: { [key]: v.value } })));
	}
	return bad;
}

function badListFields(resource: AnyResource): Record<string, BadValue[]> {
	return {
		search: plain([42, null, [], {}, KB10]),
		filter: badFilters(resource),
		sort: badSorts(resource),
		page: BAD_PAGES,
		pageSize: plain([7, 0, 101, 1000, 'abc', null, {}])
	};
}

/** Unknown keys: mass assignment of standard and read-only columns, and plain junk. */
function unknownKeys(resource: AnyResource): Array<Record<string, unknown>> {
	const readOnly = Object.keys(resource.fields).filter((key) => resource.fields[key]!.readOnly);
	return [
		{ isAdmin: true },
		{ id: NOBODY_ID },
		{ version: 99 },
		...STANDARD_COLUMNS.map((column) => ({ [column]: new Date(0) })),
		...readOnly.map((key) => ({ [key]: 1 })),
		JSON.parse('{"__proto__": {"role": "admin"}}') as Record<string, unknown>
	];
}

/**
 * Every bad input for one call, one wrong thing at a time on top of its well-formed input: each
 * must be a 400 whose field errors name `field`, and must write nothing.
 */
export function badResourceInputs(call: ResourceCall, targets: CallTargets): BadResourceInput[] {
	const { resource } = call;
	const base = call.input(targets) as Record<string, unknown>;
	const out: BadResourceInput[] = [];
	const each = (field: string, values: BadValue[], wrap: (value: unknown) => unknown) => {
		for (const bad of values) {
			out.push({
				label: `${field}: ${bad.label}`,
				input: wrap(bad.value),
				field
			});
		}
	};
	const set = (key: string) => (value: unknown) => ({ ...base, [key]: value });
	const extras = (wrapKey?: string) => {
		const present = wrapKey ? {} : base;
		for (const extra of unknownKeys(resource)) {
			// `id` and `version` are unknown only where the input does not take them.
			if (Object.keys(extra).some((key) => Object.hasOwn(present, key))) continue;
			const input = wrapKey
				? { ...base, [wrapKey]: { ...(base[wrapKey] as object), ...extra } }
				: { ...base, ...extra };
			out.push({ label: `unknown keys ${show(extra)}`, input, field: wrapKey ?? '' });
		}
	};
	const row = targets.rows[resource.name]!;
	switch (call.procedure) {
		case 'list':
			for (const [key, values] of Object.entries(badListFields(resource)))
				each(key, values, set(key));
			out.push({
				label: 'page: past the end',
				input: { ...base, page: 100_000 },
				field: 'page',
				message: /past the end/
			});
			extras();
			break;
		case 'exportPage':
			for (const [key, values] of Object.entries(badListFields(resource))) {
				each('query', values, (value) => ({ ...base, query: { [key]: value } }));
			}
			each('query', plain(['x', null, [], 42]), set('query'));
			each('offset', plain([-1, 1.5, 'abc', 10_000_001, null, {}]), set('offset'));
			extras();
			break;
		case 'get':
		case 'references':
			each('id', BAD_IDS, set('id'));
			extras();
			break;
		case 'history':
			each('id', BAD_IDS, set('id'));
			each('page', BAD_PAGES, set('page'));
			extras();
			break;
		case 'options': {
			const notReferences = Object.keys(resource.fields).filter(
				(key) => resource.fields[key]!.kind !== 'reference'
			);
			each(
				'field',
				plain(['nope', '__proto__', 'constructor', 42, null, ...notReferences]),
				set('field')
			);
			each('search', plain([42, [], {}, KB10]), set('search'));
			extras();
			break;
		}
		case 'create':
			for (const [key, field] of writableFields(resource)) {
				each(key, badFieldValues(field, targets), set(key));
				if (field.unique) {
					out.push({
						label: `${key}: a value another row has`,
						input: { ...base, [key]: targets.values[resource.name]![key] },
						field: key
					});
				}
			}
			extras();
			break;
		case 'update':
			each('id', BAD_IDS, set('id'));
			each('version', BAD_VERSIONS, set('version'));
			each('values', plain(['x', null, [], 42]), set('values'));
			for (const [key, field] of writableFields(resource)) {
				for (const bad of badFieldValues(field, targets)) {
					out.push({
						label: `values.${key}: ${bad.label}`,
						input: { ...base, values: { [key]: bad.value } },
						// The data's refusals name the field itself; zod's, the object holding it.
						field: bad.semantic ? key : 'values'
					});
				}
			}
			extras('values');
			extras();
			break;
		case 'delete':
			each('id', BAD_IDS, set('id'));
			each('version', BAD_VERSIONS, set('version'));
			extras();
			break;
		case 'action':
			each('action', plain(['nope', 'delete', 'constructor', '', 42, null]), set('action'));
			each('id', BAD_IDS, set('id'));
			each('version', BAD_VERSIONS, set('version'));
			extras();
			break;
		case 'bulk':
			each('action', plain(['nope', 'constructor', '', 42, null]), set('action'));
			each(
				'rows',
				plain([
					[],
					'x',
					null,
					[{ id: 'ABC', version: 1 }],
					[{ id: row.id, version: 0 }],
					[{ ...row, extra: 1 }],
					[row.id],
					Array(101).fill(row)
				]),
				set('rows')
			);
			extras();
			break;
	}
	return out;
}
