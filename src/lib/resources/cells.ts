// A resource row's values as the list page and the CSV export show them, by field kind: yes/no,
// dates as written, datetimes in UTC, decimals with their places, references by title. Done on
// the server, so the page's data carries the text of the shown columns only (not every field of
// every row twice: once in the HTML, once for hydration). `kind` is a field's kind
// (resources/fields.ts), or `standard` for created/updated times.
import { groupThousands } from '../numbers';

/** A cell: its text, and where it links to (a referenced row the viewer may open). */
export type Cell = string | { text: string; href: string };

const twoDigits = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * `2026-12-07 13:05` in UTC (the column header says so): the same for every viewer. Put together
 * from the UTC fields: toISOString() took three times as long, and a list page shows a hundred of
 * these. Years of other than four digits (and an invalid date) take the ISO path.
 */
export function utcMinute(value: Date): string {
	const year = value.getUTCFullYear();
	if (!(year >= 1000 && year <= 9999)) return value.toISOString().slice(0, 16).replace('T', ' ');
	return (
		`${year}-${twoDigits(value.getUTCMonth() + 1)}-${twoDigits(value.getUTCDate())} ` +
		`${twoDigits(value.getUTCHours())}:${twoDigits(value.getUTCMinutes())}`
	);
}

/** The value as plain text (CSV: no grouping, full precision, ISO times). */
export function plainValue(kind: string, value: unknown): string {
	if (value === null || value === undefined) return '';
	if (kind === 'boolean') return value ? 'yes' : 'no';
	if (value instanceof Date) return value.toISOString();
	if (typeof value === 'object' && 'title' in value) return String(value.title);
	return String(value);
}

/** The value as the list shows it; `–` for nothing. */
export function displayValue(kind: string, value: unknown): string {
	if (value === null || value === undefined || value === '') return '–';
	switch (kind) {
		case 'boolean':
			return value ? 'Yes' : 'No';
		case 'integer':
			return groupThousands(String(value));
		case 'decimal': {
			const [whole = '', fraction] = String(value).split('.');
			const sign = whole.startsWith('-') ? '-' : '';
			const grouped = sign + groupThousands(whole.replace('-', ''));
			return fraction === undefined ? grouped : `${grouped}.${fraction}`;
		}
		default:
			if (value instanceof Date) return utcMinute(value);
			if (typeof value === 'object' && 'title' in value) return String(value.title) || '–';
			return String(value);
	}
}
