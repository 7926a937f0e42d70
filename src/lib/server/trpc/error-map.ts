import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { isTransactionConflict } from '../db/errors';
import {
	AccountLinkInvalidError,
	AccountLockedError,
	EmailTakenError,
	LinkForAnotherAccountError,
	ApiTokenLimitError,
	BackupTokenLimitError,
	ApiTokenNotAllowedError,
	CodeDeliveryError,
	InvalidCredentialsError,
	NoEmailError,
	PublicError,
	ServerBusyError,
	SetupLinkInvalidError,
	ResetLinkInvalidError,
	SiteAddressUnknownError,
	InvitationLinkInvalidError,
	NotInvitedError,
	StepUpRequiredError,
	NotFoundError,
	ForbiddenError,
	InvalidRequestError,
	InvalidFieldsError,
	RowInUseError,
	StaleEditError,
	TooManyRequestsError,
	TotpEnrolmentGoneError,
	UserExistsError,
	WrongCodeError,
	NoSecurityKeyError,
	RelyingPartyUnknownError,
	SecurityKeyLimitError,
	SecurityKeyRegistrationError
} from '../errors';

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
	[TotpEnrolmentGoneError, 'CONFLICT'],
	[SetupLinkInvalidError, 'NOT_FOUND'],
	[ResetLinkInvalidError, 'NOT_FOUND'],
	[InvitationLinkInvalidError, 'NOT_FOUND'],
	[AccountLinkInvalidError, 'NOT_FOUND'],
	[LinkForAnotherAccountError, 'FORBIDDEN'],
	[EmailTakenError, 'CONFLICT'],
	[SiteAddressUnknownError, 'PRECONDITION_FAILED'],
	[NotInvitedError, 'PRECONDITION_FAILED'],
	[StepUpRequiredError, 'FORBIDDEN'],
	[NotFoundError, 'NOT_FOUND'],
	[ForbiddenError, 'FORBIDDEN'],
	[InvalidRequestError, 'BAD_REQUEST'],
	[InvalidFieldsError, 'BAD_REQUEST'],
	[StaleEditError, 'CONFLICT'],
	[RowInUseError, 'CONFLICT'],
	[ApiTokenNotAllowedError, 'FORBIDDEN'],
	[ApiTokenLimitError, 'PRECONDITION_FAILED'],
	[BackupTokenLimitError, 'PRECONDITION_FAILED'],
	[SecurityKeyLimitError, 'PRECONDITION_FAILED'],
	[NoSecurityKeyError, 'PRECONDITION_FAILED'],
	[RelyingPartyUnknownError, 'PRECONDITION_FAILED'],
	[SecurityKeyRegistrationError, 'BAD_REQUEST']
];

/** The TRPCError a service error becomes; anything else is left for tRPC to wrap (as a 500). */
export function toTRPCError(error: unknown): TRPCError | null {
	// A transaction that lost a conflict (after its retries) changed nothing: "try again", not 500.
	const cause = isTransactionConflict(error) ? new ServerBusyError(1) : error;
	if (!(cause instanceof PublicError)) return null;
	const code = CODES.find(([type]) => cause instanceof type)?.[1] ?? 'BAD_REQUEST';
	return new TRPCError({ code, message: cause.message, cause });
}
