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
import type {
	AnyRow,
	ReferenceValue,
	ResourceDescription,
	ResourceProcedures
} from './resource-api';

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
