import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import {
	AccountLockedError,
	ApiTokenLimitError,
	ApiTokenNotAllowedError,
	CodeDeliveryError,
	InvalidCredentialsError,
	NoEmailError,
	PublicError,
	ReadOnlyApiTokenError,
	ServerBusyError,
	SetupLinkInvalidError,
	StepUpRequiredError,
	NotFoundError,
	ForbiddenError,
	InvalidRequestError,
	TooManyRequestsError,
	WrongCodeError
} from '../services/errors';
import { UserExistsError } from '../services/users';

// Service error -> tRPC code. Auth failures share UNAUTHORIZED; the message says the rest.
const CODES: Array<[new (...args: never[]) => PublicError, TRPC_ERROR_CODE_KEY]> = [
	[InvalidCredentialsError, 'UNAUTHORIZED'],
	[WrongCodeError, 'UNAUTHORIZED'],
	[ServerBusyError, 'TOO_MANY_REQUESTS'],
	[TooManyRequestsError, 'TOO_MANY_REQUESTS'],
	[AccountLockedError, 'FORBIDDEN'],
	[NoEmailError, 'PRECONDITION_FAILED'],
	[CodeDeliveryError, 'INTERNAL_SERVER_ERROR'],
	[UserExistsError, 'CONFLICT'],
	[SetupLinkInvalidError, 'NOT_FOUND'],
	[StepUpRequiredError, 'FORBIDDEN'],
	[NotFoundError, 'NOT_FOUND'],
	[ForbiddenError, 'FORBIDDEN'],
	[InvalidRequestError, 'BAD_REQUEST'],
	[ApiTokenNotAllowedError, 'FORBIDDEN'],
	[ReadOnlyApiTokenError, 'FORBIDDEN'],
	[ApiTokenLimitError, 'PRECONDITION_FAILED']
];

/** The TRPCError a service error becomes; anything else is left for tRPC to wrap (as a 500). */
export function toTRPCError(error: unknown): TRPCError | null {
	if (!(error instanceof PublicError)) return null;
	const code = CODES.find(([type]) => error instanceof type)?.[1] ?? 'BAD_REQUEST';
	return new TRPCError({ code, message: error.message, cause: error });
}
