// Form actions call procedures through the server-side caller; this turns a failed call into
// SvelteKit's `fail(status, data)`, with the same safe message an HTTP client would get.
import { fail, type ActionFailure } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { z, ZodError } from 'zod';
import { ServerBusyError, StepUpRequiredError, TooManyRequestsError } from '../errors';
import { publicMessage } from './errors';

export interface FormFailure {
	message: string;
	fieldErrors?: Record<string, string[] | undefined>;
	retryAfter?: number;
	/** The action needs a fresh code first (step-up); the page offers to send one. */
	stepUpRequired?: boolean;
	stepUpSent?: boolean;
	/** With the step-up panel: the person's ways to confirm (StepUp.svelte offers them). */
	stepUpMethods?: string[];
	values?: Record<string, string>;
}

export function failFromError(
	error: unknown,
	values?: Record<string, string>
): ActionFailure<FormFailure> {
	if (!(error instanceof TRPCError)) throw error;
	const data: FormFailure = { message: publicMessage(error), values };
	if (error.cause instanceof ZodError) data.fieldErrors = z.flattenError(error.cause).fieldErrors;
	if (error.cause instanceof TooManyRequestsError) data.retryAfter = error.cause.retryAfterSeconds;
	if (error.cause instanceof StepUpRequiredError) data.stepUpRequired = true;
	// An unexpected failure was logged (scrubbed) by the procedure middleware; never shown here.
	const status = error.cause instanceof ServerBusyError ? 503 : getHTTPStatusCodeFromError(error);
	return fail(status, data);
}
