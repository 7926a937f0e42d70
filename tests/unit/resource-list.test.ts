// The generic list's pure parts: its URL read into the `list` input (and schema refusals worded
// in the URL's names), CSV that spreadsheets cannot run as formulas, and cells as the list shows
// them.
import { describe, expect, it } from 'vitest';
import { displayValue, plainValue, utcMinute } from '$lib/resources/cells';
import { csvField, csvRecord } from '$lib/resources/csv';
import { listErrorMessage, listInputFromUrl, ListParamError } from '$lib/resources/list-query';

const FILTERS = ['environment', 'enabled', 'owner'];
const parse = (query: string) => listInputFromUrl(new URLSearchParams(query), FILTERS);
const refusal = (query: string) => {
	try {
		parse(query);
	} catch (error) {
		if (error instanceof ListParamError) return error.message;
		throw error;
	}
	return null;
};

describe('the list URL to the list input', () => {
	it('reads q, sort, page, pageSize and one parameter per filter', () => {
		expect(
			parse('q=new+billing&sort=-key&page=2&pageSize=100&environment=dev&enabled=true')
		).toEqual({
			search: 'new billing',
			sort: '-key',
			page: 2,
			pageSize: 100,
			filter: { environment: 'dev', enabled: 'true' }
		});
	});

	it('treats empty values ("Any" in the filter form) as not given', () => {
		expect(parse('q=&environment=&enabled=&owner=&sort=&page=')).toEqual({ filter: {} });
	});

	it('ignores form-action keys (?/bulk), which are not the list’s', () => {
		expect(parse('environment=dev&/bulk')).toEqual({ filter: { environment: 'dev' } });
	});

	it('refuses a parameter the list does not have, naming it', () => {
		expect(refusal('colour=red')).toBe('colour: this list has no such parameter');
		expect(refusal('filter=x')).toMatch(/^filter:/);
	});

	it('refuses a parameter given twice instead of picking one', () => {
		expect(refusal('environment=dev&environment=staging')).toBe(
			'environment: given more than once'
		);
	});

	it('refuses a page or page size that is not a whole number from 1', () => {
		for (const value of ['0', '-1', '1.5', 'abc', '1e3', ' 2', '9999999999']) {
			expect(refusal(`page=${encodeURIComponent(value)}`)).toBe('page: a whole number from 1');
		}
		expect(refusal('pageSize=ten')).toBe('pageSize: a whole number from 1');
	});

	it('words schema refusals in the URL’s names (search is q, filters by field)', () => {
		expect(
			listErrorMessage([
				{ path: ['search'], message: 'At most 100 characters' },
				{ path: ['filter', 'environment'], message: 'One of: dev, staging, production' },
				{ path: ['sort'], message: 'One of: key, -key' }
			])
		).toBe(
			'q: At most 100 characters; environment: One of: dev, staging, production; sort: One of: key, -key'
		);
	});
});

describe('CSV fields', () => {
	it('prefix cells a spreadsheet would run as a formula with a quote', () => {
		for (const start of ['=', '+', '-', '@', '\t', '\r']) {
			expect(csvField(`${start}1+1`).replace(/^"|"$/g, '')).toBe(`'${start}1+1`);
		}
		expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
		expect(csvField('safe = text')).toBe('safe = text');
	});

	it('quote fields with commas, quotes or line breaks and double the quotes', () => {
		expect(csvField('a,b')).toBe('"a,b"');
		expect(csvField('say "hi"')).toBe('"say ""hi"""');
		expect(csvField('line one\nline two')).toBe('"line one\nline two"');
		expect(csvField('plain')).toBe('plain');
	});

	it('end each record with CRLF', () => {
		expect(csvRecord(['Key', 'Owner', ''])).toBe('Key,Owner,\r\n');
	});
});

describe('cells', () => {
	it('show yes/no, grouped numbers and decimals with their places, UTC times, titles', () => {
		expect(displayValue('boolean', true)).toBe('Yes');
		expect(displayValue('boolean', false)).toBe('No');
		expect(displayValue('integer', 1234567)).toBe('1,234,567');
		expect(displayValue('decimal', '-1234.50')).toBe('-1,234.50');
		expect(displayValue('decimal', '100.0')).toBe('100.0');
		expect(displayValue('date', '2027-01-31')).toBe('2027-01-31');
		expect(displayValue('datetime', new Date('2027-02-01T10:05:30Z'))).toBe('2027-02-01 10:05');
		expect(displayValue('datetime', new Date('2026-12-31T23:59:59.999Z'))).toBe('2026-12-31 23:59');
		// Each field two digits, as toISOString() writes them; other years take its path.
		for (const iso of ['2027-03-04T05:06:07Z', '0999-01-02T03:04:00Z', '+010000-01-01T00:00:00Z']) {
			const date = new Date(iso);
			expect(utcMinute(date)).toBe(date.toISOString().slice(0, 16).replace('T', ' '));
		}
		expect(displayValue('reference', { id: 'abc', title: 'ada' })).toBe('ada');
		expect(displayValue('text', null)).toBe('–');
	});

	it('export plain values: yes/no, full decimals, ISO times, titles, nothing for null', () => {
		expect(plainValue('boolean', false)).toBe('no');
		expect(plainValue('integer', 1234567)).toBe('1234567');
		expect(plainValue('decimal', '1234.50')).toBe('1234.50');
		expect(plainValue('datetime', new Date('2027-02-01T10:05:30Z'))).toBe(
			'2027-02-01T10:05:30.000Z'
		);
		expect(plainValue('reference', { id: 'abc', title: 'ada' })).toBe('ada');
		expect(plainValue('text', null)).toBe('');
	});
});
