// What the generic list page and its CSV export share (beyond resource-api.ts): the list's URL read into the
// `list` input, and a refused input turned into a 400 page that names the parameter (never a
// 500). Rows become cells here, on the server, so the page's data holds the text of the shown
// columns only.
import { error } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { roleCan } from '../../permissions';
import { displayValue, type Cell } from '../../resources/cells';
import {
	listErrorMessage,
	listInputFromUrl,
	ListParamError,
	type ListUrlInput
} from '../../resources/list-query';
import { InvalidFieldsError } from '../errors';
import type { AnyRow, ResourceDescription } from './resource-api';

/** The list input the URL asks for; a parameter the list does not have is a 400. */
export function listQueryOf(url: URL, resource: ResourceDescription): ListUrlInput {
	try {
		return listInputFromUrl(url.searchParams, resource.list.filters);
	} catch (cause) {
		if (cause instanceof ListParamError) error(400, cause.message);
		throw cause;
	}
}

/** Runs a call with the URL's input; its refusal of that input becomes a 400 naming the parameter. */
export async function withListInput<T>(call: () => Promise<T>): Promise<T> {
	try {
		return await call();
	} catch (cause) {
		if (cause instanceof TRPCError && cause.code === 'BAD_REQUEST') {
			error(400, badInputMessage(cause));
		}
		throw cause;
	}
}

function badInputMessage(refusal: TRPCError): string {
	if (refusal.cause instanceof ZodError) return listErrorMessage(refusal.cause.issues);
	if (refusal.cause instanceof InvalidFieldsError) {
		return Object.entries(refusal.cause.fields)
			.map(([field, message]) => `${field}: ${message}`)
			.join('; ');
	}
	return refusal.message;
}

export interface ListColumn {
	key: string;
	label: string;
	kind: string;
	sortable: boolean;
	/** A reference's target: `users` or a resource's name. */
	target: string | null;
}

const STANDARD_LABELS: Record<string, string> = { createdAt: 'Created', updatedAt: 'Updated' };

/** The list's columns, with what drawing and sorting them needs. */
export function listColumns(resource: ResourceDescription): ListColumn[] {
	return resource.list.columns.map((key) => {
		const field = resource.fields.find((entry) => entry.name === key);
		const label = field?.label ?? STANDARD_LABELS[key] ?? key;
		const kind = field?.kind ?? 'datetime';
		return {
			key,
			// Times are shown in UTC: said once in the header, not in every cell.
			label: kind === 'datetime' && !label.includes('UTC') ? `${label} (UTC)` : label,
			kind,
			sortable: resource.list.sort.includes(key),
			target: field?.target ?? null
		};
	});
}

/**
 * Where a reference to `target` links for this role: the users pages for whoever may
 * administer, a resource's pages for whoever may read it; null: shown as text.
 */
export function referenceLinks(
	role: string,
	catalog: readonly ResourceDescription[]
): (target: string, id: string) => string | null {
	const paths = new Map(catalog.map((entry) => [entry.name, `/resources/${entry.path}`]));
	if (roleCan(role, 'admin')) paths.set('users', '/users');
	return (target, id) => {
		const base = paths.get(target);
		return base ? `${base}/${id}` : null;
	};
}

export interface ListPageRow {
	id: string;
	version: number;
	cells: Cell[];
}

/**
 * A row as the list draws it, references linked to their pages (the page links the title
 * column to the row's own page from `id`, so the id is not sent twice).
 */
export function listPageRow(
	columns: ListColumn[],
	linkTo: (target: string, id: string) => string | null,
	row: AnyRow
): ListPageRow {
	return {
		id: row.id,
		version: row.version,
		cells: columns.map((column): Cell => {
			const value = row[column.key];
			const text = displayValue(column.kind, value);
			if (column.target && value && typeof value === 'object' && 'id' in value) {
				const href = linkTo(column.target, String(value.id));
				if (href) return { text, href };
			}
			return text;
		})
	};
}
