// Field kinds and defineResource on their own: how each kind validates, stores and reads back a
// value, and the definition mistakes that stop the app at start-up with the resource named.
import { describe, expect, it } from 'vitest';
import { defineResource, ResourceDefinitionError } from '$lib/server/resources/define';
import { checkRegistry } from '$lib/server/resources/checks';
import {
	boolean,
	choice,
	date,
	datetime,
	decimal,
	integer,
	longText,
	reference,
	text
} from '$lib/server/resources/fields';

describe('field kinds', () => {
	it('decimal keeps exact values: stored as whole units, read back with the scale', () => {
		const field = decimal({ scale: 2, min: -5, max: 1000 });
		const parsed = field.input.parse('12.5');
		expect(parsed).toBe('12.50');
		expect(field.write(parsed)).toBe(1250);
		expect(field.read(1250)).toBe('12.50');
		expect(field.read('-5')).toBe('-0.05');
		expect(field.write('-0.05')).toBe(-5);
		expect(field.input.parse(7)).toBe('7.00');
		for (const bad of ['1.234', '1e3', 'abc', '1000.01', '-5.01', '']) {
			expect(field.input.safeParse(bad).success, bad).toBe(false);
		}
	});

	it('decimal refuses more digits than a JavaScript number holds exactly', () => {
		const field = decimal({ scale: 2 });
		expect(field.input.safeParse('9999999999999.99').success).toBe(true);
		expect(field.input.safeParse('99999999999999.99').success).toBe(false);
	});

	it('text trims, refuses control characters and overlong values; long text keeps line breaks as LF', () => {
		const short = text({ max: 5 });
		expect(short.input.parse('  abc ')).toBe('abc');
		expect(short.input.safeParse('abcdef').success).toBe(false);
		expect(short.input.safeParse('a\tb').success).toBe(false);
		expect(short.input.safeParse('   ').success).toBe(false);
		const long = longText({ max: 20 });
		expect(long.input.parse('one\r\ntwo\rthree')).toBe('one\ntwo\nthree');
	});

	it('integer, boolean, choice, date and datetime store portable values', () => {
		expect(integer({ min: 0, max: 10 }).input.safeParse(11).success).toBe(false);
		expect(integer().input.safeParse(1.5).success).toBe(false);
		expect(integer().read('42')).toBe(42);
		expect(boolean().write(true)).toBe(1);
		expect(boolean().read(0)).toBe(false);
		expect(boolean().default).toBe(false);
		expect(choice(['a', 'b']).input.safeParse('c').success).toBe(false);
		expect(date().input.safeParse('2027-02-30').success).toBe(false);
		expect(date().input.parse('2027-02-28')).toBe('2027-02-28');
		const when = datetime();
		const moment = when.input.parse('2027-01-01T00:00:00Z') as Date;
		expect(when.write(moment)).toBe(Date.UTC(2027, 0, 1));
		expect(when.read(String(Date.UTC(2027, 0, 1)))).toEqual(moment);
		expect(when.input.safeParse('not a date').success).toBe(false);
		// Required: null and numbers are refused, not read as 1970-01-01.
		expect(when.input.safeParse(null).success).toBe(false);
		expect(when.input.safeParse(0).success).toBe(false);
	});

	it('reference takes an id and reads back { id, title }', () => {
		const owner = reference('users', { optional: true });
		expect(owner.input.safeParse('NOT-AN-ID').success).toBe(false);
		expect(owner.read('abc')).toEqual({ id: 'abc', title: '' });
		expect(owner.read(null)).toBeNull();
	});
});

const fields = { name: text(), kind: choice(['x', 'y']), notes: longText({ optional: true }) };

function definition(overrides: Record<string, unknown>) {
	return () =>
		defineResource({
			name: 'things',
			table: 'things',
			title: 'name',
			fields,
			list: { columns: ['name'] },
			...overrides
		} as never);
}

describe('defineResource', () => {
	it('derives permissions, columns, a path and strict schemas', () => {
		const things = defineResource({
			name: 'someThings',
			table: 'some_things',
			title: 'name',
			fields: { ...fields, ownerId: reference('users', { optional: true, column: 'owner' }) },
			list: { columns: ['name', 'kind'], filters: ['kind'], sort: ['name'] },
			stepUp: ['delete']
		});
		expect(things.permission('update')).toBe('someThings.update');
		expect(things.path).toBe('some-things');
		expect(things.label).toBe('Some things');
		expect(things.columns).toEqual({
			name: 'name',
			kind: 'kind',
			notes: 'notes',
			ownerId: 'owner'
		});
		expect(things.schemas.list.parse({})).toEqual({
			filter: {},
			sort: 'name',
			page: 1,
			pageSize: 25
		});
		expect(things.schemas.list.safeParse({ sort: 'notes' }).success).toBe(false);
		expect(things.schemas.list.safeParse({ filter: { name: 'x' } }).success).toBe(false);
		expect(things.schemas.create.safeParse({ name: 'a', kind: 'x', extra: 1 }).success).toBe(false);
		// Optional fields a create leaves out are stored empty.
		expect(things.schemas.create.parse({ name: 'a', kind: 'x' })).toEqual({
			name: 'a',
			kind: 'x',
			notes: null,
			ownerId: null
		});
		expect(things.schemas.bulk.safeParse({ action: 'delete', rows: [] }).success).toBe(false);
	});

	it.each([
		[
			'a field list column that does not exist',
			{ list: { columns: ['nope'] } },
			'list column nope'
		],
		[
			'a search on a choice field',
			{ list: { columns: ['name'], search: ['kind'] } },
			'search field kind'
		],
		['a filter on long text', { list: { columns: ['name'], filters: ['notes'] } }, 'filter notes'],
		['a sort on long text', { list: { columns: ['name'], sort: ['notes'] } }, 'sort notes'],
		[
			'a default sort not in sort',
			{ list: { columns: ['name'], sort: ['name'], defaultSort: 'kind' } },
			'defaultSort kind'
		],
		['a title that is not text', { title: 'kind' }, 'title kind'],
		['an action with neither set nor run', { actions: { go: { label: 'Go' } } }, 'action go'],
		[
			'an action setting an unknown field',
			{ actions: { go: { label: 'Go', set: { nope: 1 } } } },
			'sets nope'
		],
		['a step-up on an unknown action', { stepUp: ['archive'] }, 'stepUp archive'],
		['a table name with a quote', { table: "th'ings" }, 'table'],
		[
			'a filter named like a list parameter',
			{
				fields: { ...fields, page: choice(['a']) },
				list: { columns: ['name'], filters: ['page'] }
			},
			'filter page would clash'
		],
		[
			'a required reference to users',
			{ fields: { ...fields, owner: reference('users') } },
			'owner: a reference to users must be optional'
		]
	])('refuses %s, naming the resource', (_name, overrides, message) => {
		expect(definition(overrides)).toThrow(ResourceDefinitionError);
		expect(definition(overrides)).toThrow(new RegExp(`^Resource things: .*${message}`));
	});

	it('refuses a registry whose keys, tables or references do not line up', () => {
		const things = definition({})();
		const others = defineResource({
			name: 'others',
			table: 'others',
			title: 'name',
			fields: { name: text(), thing: reference('missing') },
			list: { columns: ['name'] }
		});
		expect(() => checkRegistry({ wrongKey: things })).toThrow('registered as wrongKey');
		expect(() => checkRegistry({ others })).toThrow('refers to missing');
		const clash = defineResource({
			...{ name: 'clash', table: 'things', title: 'name', fields, list: { columns: ['name'] } }
		});
		expect(() => checkRegistry({ things, clash })).toThrow('table things is taken');
		const sessions = defineResource({
			name: 'sessions',
			table: 'sessions',
			title: 'name',
			fields,
			list: { columns: ['name'] }
		});
		expect(() => checkRegistry({ sessions })).toThrow('table sessions is taken');
	});
});
