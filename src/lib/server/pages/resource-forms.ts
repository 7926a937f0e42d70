// What the generic resource pages (/resources/<path>/...) share on the server: the procedures of
// the resource the URL names, reached by name, and a refused write turned into the form's answer.
// The answer carries what a form without JavaScript needs to come back as the person left it:
// their input, each field's error under its own name (zod's and the service's alike, also for an
// update, whose values zod sees under `values.`), and on a stale edit the row as it is now.
import { error, fail, type ActionFailure } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { InvalidFieldsError, StaleEditError } from '../errors';
import { failFromError, type FormFailure } from '../trpc/form-errors';
import type { ServerCaller } from './page-group';

/** A resource described for pages (the catalog's entry). */
export type ResourceDescription = Awaited<ReturnType<ServerCaller['resourceCatalog']>>[number];
export type FieldDescription = ResourceDescription['fields'][number];

/** A choice of a reference field: the row's id and title. */
export interface ReferenceValue {
	id: string;
	title: string;
}

export interface HistoryEntry {
	id: string;
	event: string;
	action: string | null;
	actor: string | null;
	actorId: string | null;
	changes: Record<string, { from?: unknown; to?: unknown }>;
	createdAt: Date;
}

/** A row as the API returns it, for any resource. */
export type AnyRow = { id: string; version: number; createdAt: Date; updatedAt: Date } & Record<
	string,
	unknown
>;

export interface RowReference {
	resource: string;
	label: string;
	field: string;
	count: number;
	blocks: boolean;
}

/** The procedures of one resource, typed for code that works on any of them. */
export interface ResourceProcedures {
	get(input: { id: string }): Promise<AnyRow>;
	history(input: {
		id: string;
		page?: number;
	}): Promise<{ entries: HistoryEntry[]; total: number; pageSize: number }>;
	references(input: { id: string }): Promise<RowReference[]>;
	options(input: { field: string; search?: string }): Promise<ReferenceValue[]>;
	create(values: Record<string, unknown>): Promise<AnyRow>;
	update(input: { id: string; version: number; values: Record<string, unknown> }): Promise<AnyRow>;
	delete(input: { id: string; version: number }): Promise<{ ok: true }>;
	action(input: { action: string; id: string; version: number }): Promise<{ count: number }>;
}

/**
 * The resource the URL names, described for this role, and its procedures. Unknown or not
 * readable: 404, as the layout answers.
 */
export async function resourceOf(
	api: ServerCaller,
	path: string
): Promise<{ resource: ResourceDescription; procedures: ResourceProcedures }> {
	const resource = (await api.resourceCatalog()).find((entry) => entry.path === path);
	if (!resource) error(404, 'Not found');
	// Each procedure checks the role's permission and its input itself.
	const procedures = (api.resources as unknown as Record<string, ResourceProcedures>)[
		resource.name
	]!;
	return { resource, procedures };
}

/** A call that found no row (or was refused one) answers the page with a 404, else rethrows. */
export function notFoundOrThrow(cause: unknown): never {
	if (cause instanceof TRPCError && cause.code === 'NOT_FOUND') error(404, 'Not found');
	if (cause instanceof TRPCError && cause.code === 'BAD_REQUEST') error(404, 'Not found');
	throw cause;
}

export interface ResourceFormFailure extends FormFailure {
	/** On a stale edit: the row as it is now (null: deleted since). */
	current?: AnyRow | null;
	/** The version the failed form was read at, so saving again does not skip a conflict. */
	version?: string;
	/** Choices for reference fields, narrowed by what the form's search boxes held. */
	choices?: Record<string, ReferenceValue[]>;
	search?: Record<string, string>;
}

/** zod issues of `create` (`name`) or `update` (`values.name`) under the field's name. */
function zodFieldErrors(cause: ZodError): Record<string, string[]> {
	const errors: Record<string, string[]> = {};
	for (const issue of cause.issues) {
		const path = issue.path[0] === 'values' ? issue.path.slice(1) : issue.path;
		const name = String(path[0] ?? '');
		if (!name) continue;
		(errors[name] ??= []).push(issue.message);
	}
	return errors;
}

/**
 * A refused write as the form's failure: the message and status every form gets (step-up,
 * throttling...), plus the input, the field errors by field name and, on CONFLICT, the row now.
 * Anything that is not a refused call (a redirect, a bug) is thrown on.
 */
export function resourceFailure(
	cause: unknown,
	extra: Omit<ResourceFormFailure, 'message'>
): ActionFailure<ResourceFormFailure> {
	const failure = failFromError(cause);
	const data: ResourceFormFailure = { ...failure.data, ...extra };
	const reason = (cause as TRPCError).cause;
	if (reason instanceof ZodError) data.fieldErrors = zodFieldErrors(reason);
	if (reason instanceof InvalidFieldsError) {
		data.fieldErrors = Object.fromEntries(
			Object.entries(reason.fields).map(([name, message]) => [name, [message]])
		);
	}
	if (reason instanceof StaleEditError) data.current = reason.current as AnyRow | null;
	return fail(failure.status, data);
}

/**
 * The choices each reference field offers: the first 20 matches of what its search box
 * (`<field>.search`) held, or of nothing. Only for a role that may create or change rows (the
 * options procedure asks the same); a refused or failed lookup offers none.
 */
export async function referenceChoices(
	resource: ResourceDescription,
	procedures: ResourceProcedures,
	form?: FormData
): Promise<{ choices: Record<string, ReferenceValue[]>; search: Record<string, string> }> {
	const choices: Record<string, ReferenceValue[]> = {};
	const search: Record<string, string> = {};
	if (!resource.can.create && !resource.can.update) return { choices, search };
	const references = resource.fields.filter(
		(field) => field.kind === 'reference' && !field.readOnly
	);
	await Promise.all(
		references.map(async ({ name }) => {
			search[name] = String(form?.get(`${name}.search`) ?? '')
				.trim()
				.slice(0, 100);
			choices[name] = await procedures
				.options({ field: name, search: search[name] })
				.catch((cause: unknown) => {
					if (cause instanceof TRPCError) return [];
					throw cause;
				});
		})
	);
	return { choices, search };
}
