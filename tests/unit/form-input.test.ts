// A resource form's posted fields to procedure input, by the page contract's rules, checked
// against the example resource's own schemas so the two cannot drift apart.
import { describe, expect, it } from 'vitest';
import { describeResource } from '$lib/server/resources/describe';
import featureFlags from '$lib/server/resources/feature-flags';
import { fieldText, formInput, formValues, writableFields } from '$lib/resources/form-input';

const fields = describeResource(featureFlags, 'admin').fields;

function form(entries: Record<string, string>): FormData {
	const data = new FormData();
	for (const [name, value] of Object.entries(entries)) data.append(name, value);
	return data;
}

const filled = {
	key: '  new-billing  ',
	enabled: 'on',
	rollout: ' 12.5 ',
	environment: 'staging',
	owner: 'abcdefgh',
	minBuild: ' 42 ',
	description: '  line one\r\nline two  ',
	reviewBy: '2027-01-31',
	expiresAt: '2027-02-01T13:45'
};

describe('formInput', () => {
	it('reads every field kind of a filled-in create form', () => {
		const input = formInput(fields, form(filled), 'create');
		expect(input).toEqual({
			key: 'new-billing',
			enabled: true,
			rollout: '12.5',
			environment: 'staging',
			owner: 'abcdefgh',
			minBuild: 42,
			description: '  line one\r\nline two  ',
			reviewBy: '2027-01-31',
			expiresAt: new Date('2027-02-01T13:45:00Z')
		});
		// What the form produces is what the procedure takes.
		expect(featureFlags.schemas.create.safeParse(input).success).toBe(true);
	});

	it('reads a date-time input as UTC, whatever the server’s zone', () => {
		const input = formInput(fields, form({ ...filled, expiresAt: '2027-02-01T00:00' }), 'create');
		expect((input.expiresAt as Date).toISOString()).toBe('2027-02-01T00:00:00.000Z');
	});

	it('leaves empty optional fields out of a create, so defaults and nulls apply', () => {
		const input = formInput(
			fields,
			form({ ...filled, owner: '', minBuild: ' ', description: '', reviewBy: '', expiresAt: '' }),
			'create'
		);
		expect(Object.keys(input)).not.toContain('owner');
		expect(Object.keys(input)).not.toContain('minBuild');
		expect(Object.keys(input)).not.toContain('description');
		expect(Object.keys(input)).not.toContain('expiresAt');
	});

	it('turns empty optional fields of an update into null (clearing them)', () => {
		const input = formInput(
			fields,
			form({ ...filled, owner: '', minBuild: '', description: '', reviewBy: '', expiresAt: '' }),
			'update'
		);
		expect(input).toMatchObject({
			owner: null,
			minBuild: null,
			description: null,
			reviewBy: null,
			expiresAt: null
		});
		expect(
			featureFlags.schemas.update.safeParse({ id: 'a', version: 1, values: input }).success
		).toBe(true);
	});

	it('an unticked checkbox (not sent at all) is false', () => {
		const { enabled: _enabled, ...rest } = filled;
		expect(formInput(fields, form(rest), 'update').enabled).toBe(false);
		expect(formInput(fields, form(rest), 'create').enabled).toBe(false);
	});

	it('passes text that is no number through, so the schema names the field', () => {
		const input = formInput(
			fields,
			form({ ...filled, minBuild: 'many', rollout: '1,5' }),
			'create'
		);
		expect(input).toMatchObject({ minBuild: 'many', rollout: '1,5' });
		const result = featureFlags.schemas.create.safeParse(input);
		expect(result.success).toBe(false);
		const paths = result.error!.issues.map((issue) => issue.path.join('.'));
		expect(paths).toEqual(expect.arrayContaining(['minBuild', 'rollout']));
	});

	it('passes an empty required field as empty, so the schema says it is required', () => {
		const input = formInput(fields, form({ ...filled, key: '   ' }), 'create');
		expect(input.key).toBe('');
		expect(featureFlags.schemas.create.safeParse(input).success).toBe(false);
	});

	it('never reads read-only or computed fields, even when posted', () => {
		const input = formInput(fields, form({ ...filled, evaluations: '9', status: 'on' }), 'update');
		expect(input).not.toHaveProperty('evaluations');
		expect(input).not.toHaveProperty('status');
		expect(writableFields(fields).map((field) => field.name)).not.toContain('evaluations');
	});

	it('leaves out a text field the form did not send, so an update keeps it', () => {
		const input = formInput(fields, form({ enabled: 'on' }), 'update');
		expect(input).toEqual({ enabled: true });
	});
});

describe('formValues and fieldText', () => {
	it('sends the form back as typed, a checkbox as on or empty', () => {
		const { enabled: _enabled, ...rest } = filled;
		const values = formValues(fields, form(rest));
		expect(values).toMatchObject({ key: '  new-billing  ', enabled: '', minBuild: ' 42 ' });
		expect(formValues(fields, form(filled)).enabled).toBe('on');
	});

	it('shows API values in their inputs: reference id, UTC date-time, empty for null', () => {
		const field = (name: string) => fields.find((entry) => entry.name === name)!;
		expect(fieldText(field('owner'), { id: 'abc', title: 'ada' })).toBe('abc');
		expect(fieldText(field('expiresAt'), new Date('2027-02-01T13:45:10Z'))).toBe(
			'2027-02-01T13:45'
		);
		expect(fieldText(field('enabled'), true)).toBe('on');
		expect(fieldText(field('enabled'), false)).toBe('');
		expect(fieldText(field('minBuild'), null)).toBe('');
		expect(fieldText(field('rollout'), '12.5')).toBe('12.5');
	});
});
