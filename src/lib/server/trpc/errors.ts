import type { DefaultErrorShape, TRPCError } from '@trpc/server';
import { z, ZodError } from 'zod';
import {
	EnrolmentRequiredError,
	InvalidFieldsError,
	PublicError,
	ServerBusyError,
	StaleEditError,
	StepUpRequiredError,
	TooManyRequestsError
} from '../errors';

export interface FieldErrors {
	formErrors: string[];
	fieldErrors: Record<string, string[] | undefined>;
}

export type ErrorShape = Omit<DefaultErrorShape, 'data'> & {
	data: Omit<DefaultErrorShape['data'], 'code'> & {
		/** tRPC's code, or SERVICE_UNAVAILABLE (503) when the server was busy. */
		code: DefaultErrorShape['data']['code'] | typeof UNAVAILABLE_DATA.code;
		fieldErrors: FieldErrors | null;
		retryAfter?: number;
		/** The caller must verify a fresh code (auth.stepUp.*) and try again. */
		stepUpRequired?: true;
		/**
		 * FACTOR_POLICY: this session must set up one of these kinds (an authenticator app, a
		 * security key) before anything else; `auth.me` says the same.
		 */
		enrolmentRequired?: readonly string[];
		/** CONFLICT on a stale edit: the row as it is now (null: deleted since). */
		current?: Record<string, unknown> | null;
	};
};

// "Busy" is a 503: tRPC 10 has no code for it, so the shape says what tRPC 11 says (the JSON-RPC
// internal error number, SERVICE_UNAVAILABLE), as the database-unavailable answer does.
const UNAVAILABLE_RPC_CODE = -32603;
const UNAVAILABLE_DATA = { code: 'SERVICE_UNAVAILABLE', httpStatus: 503 } as const;

/**
 * What a client learns about a failure: the tRPC code, our own messages, and zod's field errors.
 * Anything we did not throw on purpose (a driver error, a bug) becomes a generic message; the
 * details go to the server log through the handle's onError, never to the client.
 */
export function formatError({
	shape,
	error
}: {
	shape: DefaultErrorShape;
	error: TRPCError;
}): ErrorShape {
	const { stack: _stack, ...data } = shape.data;
	const fieldErrors =
		error.cause instanceof ZodError
			? z.flattenError(error.cause)
			: error.cause instanceof InvalidFieldsError
				? fieldErrorsOf(error.cause)
				: null;
	const retryAfter =
		error.cause instanceof TooManyRequestsError ? error.cause.retryAfterSeconds : undefined;
	return {
		...shape,
		...(error.cause instanceof ServerBusyError ? { code: UNAVAILABLE_RPC_CODE } : {}),
		message: publicMessage(error),
		data: {
			...data,
			...(error.cause instanceof ServerBusyError ? UNAVAILABLE_DATA : {}),
			fieldErrors,
			...(typeof retryAfter === 'number' ? { retryAfter } : {}),
			...(error.cause instanceof StepUpRequiredError ? { stepUpRequired: true as const } : {}),
			...(error.cause instanceof EnrolmentRequiredError
				? { enrolmentRequired: error.cause.kinds }
				: {}),
			...(error.cause instanceof StaleEditError ? { current: error.cause.current } : {})
		}
	};
}

/** A service's field errors in zod's flattened shape, so clients read both the same way. */
function fieldErrorsOf(error: InvalidFieldsError): FieldErrors {
	const fieldErrors: FieldErrors['fieldErrors'] = {};
	for (const [field, message] of Object.entries(error.fields)) fieldErrors[field] = [message];
	return { formErrors: [], fieldErrors };
}

/** The message a client may see: ours, or a generic one for anything unexpected. */
export function publicMessage(
	error: TRPCError,
	isInputError = error.cause instanceof ZodError
): string {
	if (isInputError) return 'Invalid input';
	// A service's own error (e.g. "the code could not be sent") is written for people.
	if (error.cause instanceof PublicError) return error.message;
	if (error.code === 'INTERNAL_SERVER_ERROR') return 'Internal server error';
	if (error.code === 'PARSE_ERROR') return 'Malformed request';
	return error.message;
}
