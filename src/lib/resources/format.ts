// A field's value as text for reading (the read-only view, a conflict's current values, the
// history): yes/no, a date-time in UTC, a reference by its title, nothing as a dash.
import type { FieldDescription } from '$lib/server/resources/describe';
import { utcMinute as utcMinuteOnly } from './cells';

export const NOTHING = '—';

/** `YYYY-MM-DD HH:mm UTC`. */
export function utcMinute(date: Date): string {
	return `${utcMinuteOnly(date)} UTC`;
}

export function formatValue(field: Pick<FieldDescription, 'kind'>, value: unknown): string {
	if (value === null || value === undefined || value === '') return NOTHING;
	if (field.kind === 'boolean') return value === true || value === 1 ? 'Yes' : 'No';
	if (value instanceof Date) return utcMinute(value);
	if (field.kind === 'datetime' && typeof value === 'string') {
		// The audit trail keeps date-times as ISO text.
		const date = new Date(value);
		return Number.isNaN(date.getTime()) ? value : utcMinute(date);
	}
	if (typeof value === 'object' && 'title' in value) {
		const { id, title } = value as { id: unknown; title: unknown };
		return String(title || id);
	}
	return String(value);
}
