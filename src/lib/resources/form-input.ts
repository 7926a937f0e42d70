// A resource form's fields to the input of its `create` or `update` procedure, and a row's values
// back to what the form's inputs show. One set of rules for every resource form (the page
// contract): text trimmed; an empty optional field is null (create: left out, so its default
// applies); a checkbox is true when sent and false when not; numbers and other text go through as
// typed so the procedure's schema judges them and names the field; a date-time input is UTC.
import type { FieldDescription } from '$lib/server/resources/describe';

export type FormMode = 'create' | 'update';

/** What a form needs to know of a field to read it. */
export type FormField = Pick<FieldDescription, 'name' | 'kind' | 'optional' | 'readOnly'>;

/** The fields a form sends: every writable one (read-only and computed fields are only shown). */
export function writableFields<F extends FormField>(fields: readonly F[]): F[] {
	return fields.filter((field) => !field.readOnly && field.kind !== 'computed');
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const DATETIME_LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;

/** One field's text as the procedure takes it; `undefined` leaves it out. */
function inputValue(field: FormField, text: string, mode: FormMode): unknown {
	// Long text keeps its inner line breaks; its schema trims the ends and normalises CRLF.
	const value = field.kind === 'longText' ? text : text.trim();
	if (value === '' && field.optional) return mode === 'create' ? undefined : null;
	switch (field.kind) {
		case 'integer':
			// A number when it reads as one (the schema still checks it is whole and in range);
			// anything else as typed, so the schema's own message ("A whole number") names the field.
			return NUMBER.test(value) ? Number(value) : value;
		case 'datetime':
			// <input type="datetime-local"> has no zone: the forms say UTC, so read it as UTC.
			return DATETIME_LOCAL.test(value) ? new Date(`${value}Z`) : value;
		default:
			return value;
	}
}

/**
 * The procedure input for `mode` from a posted form. A field the form did not send at all is left
 * out (an update then leaves it as it is), except a checkbox, which a browser sends only when it
 * is ticked.
 */
export function formInput(
	fields: readonly FormField[],
	form: FormData,
	mode: FormMode
): Record<string, unknown> {
	const input: Record<string, unknown> = {};
	for (const field of writableFields(fields)) {
		if (field.kind === 'boolean') {
			input[field.name] = form.has(field.name);
			continue;
		}
		const sent = form.get(field.name);
		if (typeof sent !== 'string') continue;
		const value = inputValue(field, sent, mode);
		if (value !== undefined) input[field.name] = value;
	}
	return input;
}

/**
 * The writable fields as the form sent them (text; a checkbox 'on' or ''), to send back with a
 * failure so a form without JavaScript comes back as the person left it.
 */
export function formValues(fields: readonly FormField[], form: FormData): Record<string, string> {
	const values: Record<string, string> = {};
	for (const field of writableFields(fields)) {
		const sent = form.get(field.name);
		values[field.name] =
			field.kind === 'boolean' ? (sent === null ? '' : 'on') : typeof sent === 'string' ? sent : '';
	}
	return values;
}

/** `YYYY-MM-DDTHH:mm` in UTC, what <input type="datetime-local"> shows. */
export function datetimeLocal(date: Date): string {
	return date.toISOString().slice(0, 16);
}

/**
 * A value as the API returns it (or a default) to the text its input shows: a reference as its
 * id, a date-time in UTC, a checkbox as 'on' or '', nothing as ''.
 */
export function fieldText(field: Pick<FieldDescription, 'kind'>, value: unknown): string {
	if (value === null || value === undefined) return '';
	if (field.kind === 'boolean') return value === true ? 'on' : '';
	if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : datetimeLocal(value);
	if (typeof value === 'object' && 'id' in value) return String((value as { id: unknown }).id);
	return String(value);
}
