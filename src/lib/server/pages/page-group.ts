// What every `load` and form action of a route group does before its own code: run the group's
// guard (a layout does not protect the pages under it, nor their actions), then build the
// server-side caller. For actions, also read the form and turn a refused call into
// `fail(status, { message, fieldErrors, values, stepUpRequired, ... })`, so an action is a line
// or two: the procedure it calls validates the input and decides.
import { fail, type ActionFailure, type RequestEvent } from '@sveltejs/kit';
import { createServerCaller } from '../trpc/caller';
import { failFromError, type FormFailure } from '../trpc/form-errors';

export type ServerCaller = Awaited<ReturnType<typeof createServerCaller>>;

/**
 * What the "Confirm it's you" panel offers (StepUp.svelte): the person's step-up methods, read
 * only when an action answers with the panel, never for every page (a layout would pay two more
 * procedure calls and half a dozen statements on each).
 */
export async function stepUpMethodsOf(api: ServerCaller): Promise<string[]> {
	return api.auth.stepUp.methods();
}

/** What a group requires of a request: what it learnt (the user), or it throws a redirect or error. */
export type PageGuard<Access extends object> = (
	event: Pick<RequestEvent, 'locals' | 'url'>
) => Access;

export type LoadContext<Event extends RequestEvent, Access extends object> = Access & {
	event: Event;
	api: ServerCaller;
};

export type ActionContext<
	Event extends RequestEvent,
	Access extends object,
	Field extends string
> = LoadContext<Event, Access> & {
	form: FormData;
	/** A field as text; '' when the form did not send it. */
	text: (name: string) => string;
	/** The fields named in the `values` option, as text. */
	values: Record<Field, string>;
};

export interface ActionOptions<Field extends string, Extra extends object> {
	/**
	 * Fields sent back with a failure, so a form without JavaScript comes back filled in. Never a
	 * password or a code.
	 */
	values?: readonly Field[];
	/** Added to the data of every failure, e.g. which part of the page the form belongs to. */
	failure?: Extra;
}

export interface PageGroup<Access extends object> {
	load<Event extends RequestEvent, Data>(
		handler: (context: LoadContext<Event, Access>) => Data | Promise<Data>
	): (event: Event) => Promise<Data>;
	action<
		Event extends RequestEvent,
		Result,
		Field extends string = never,
		Extra extends object = Record<never, never>
	>(
		handler: (context: ActionContext<Event, Access, Field>) => Result | Promise<Result>,
		options?: ActionOptions<Field, Extra>
	): (event: Event) => Promise<Result | ActionFailure<FormFailure & Extra>>;
}

export interface PageGroupOptions {
	/** How a page reaches the API; tests pass their own. */
	createCaller?: (event: RequestEvent) => Promise<ServerCaller>;
}

/** The `load` and action builders of a route group whose every request must pass `guard`. */
export function definePageGroup<Access extends object>(
	guard: PageGuard<Access>,
	{ createCaller = createServerCaller }: PageGroupOptions = {}
): PageGroup<Access> {
	function load<Event extends RequestEvent, Data>(
		handler: (context: LoadContext<Event, Access>) => Data | Promise<Data>
	): (event: Event) => Promise<Data> {
		return async (event: Event) => {
			const access = guard(event);
			return handler({ ...access, event, api: await createCaller(event) });
		};
	}

	function action<
		Event extends RequestEvent,
		Result,
		Field extends string = never,
		Extra extends object = Record<never, never>
	>(
		handler: (context: ActionContext<Event, Access, Field>) => Result | Promise<Result>,
		options: ActionOptions<Field, Extra> = {}
	): (event: Event) => Promise<Result | ActionFailure<FormFailure & Extra>> {
		return async (event: Event) => {
			// The guard first: nothing of the request is read for someone it turns away.
			const access = guard(event);
			const form = await event.request.formData();
			const text = (name: string): string => String(form.get(name) ?? '');
			const values = Object.fromEntries(
				(options.values ?? []).map((name) => [name, text(name)])
			) as Record<Field, string>;
			const api = await createCaller(event);
			try {
				return await handler({ ...access, event, api, form, text, values });
			} catch (error) {
				// Redirects and unexpected errors pass through; a refused call becomes the form's answer.
				const failure = failFromError(error, options.values ? values : undefined);
				const data: FormFailure = { ...failure.data, ...options.failure };
				// The "Confirm it's you" panel shows: what it may offer (an authenticator, a key).
				if (data.stepUpRequired) data.stepUpMethods = await stepUpMethodsOf(api);
				return fail(failure.status, data as FormFailure & Extra);
			}
		};
	}

	return { load, action };
}
