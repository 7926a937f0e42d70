// Every typed error the app throws on purpose, in one module. Their messages are written for
// people and safe to show; the tRPC layer maps each class to a code in one place
// (trpc/error-map.ts), pages show the message. It imports nothing, so any layer (auth's password
// queue as much as the services) can throw them without importing upward.
export class PublicError extends Error {
	constructor(message: string) {
		super(message);
		this.name = new.target.name;
	}
}

export class InvalidCredentialsError extends PublicError {
	constructor() {
		super('Wrong username or password');
	}
}
export class TooManyRequestsError extends PublicError {
	constructor(
		readonly retryAfterSeconds: number,
		message = `Too many attempts. Try again in ${retryAfterSeconds} seconds`
	) {
		super(message);
	}

	/** Refused for `ms` more milliseconds: `retryAfter` in whole seconds, at least 1. */
	static after(ms: number): TooManyRequestsError {
		return new TooManyRequestsError(Math.max(1, Math.ceil(ms / 1000)));
	}
}
/**
 * The server cannot decide now, and nothing changed: too many password checks are already waiting
 * for argon2 (auth/password.ts), or a transaction kept losing conflicts with concurrent ones (on a
 * Galera cluster, also at COMMIT). Nothing was checked, so it is no failed attempt. Answered 503
 * with `Retry-After` (tRPC 10 has no such code: the body says SERVICE_UNAVAILABLE in `data.code`,
 * as tRPC 11 names it).
 */
export class ServerBusyError extends TooManyRequestsError {
	constructor(retryAfterSeconds: number) {
		super(
			retryAfterSeconds,
			`The server is busy. Try again in ${retryAfterSeconds === 1 ? 'a second' : `${retryAfterSeconds} seconds`}`
		);
	}
}
/** The current password given to change it was wrong: a failed password check like any other. */
export class WrongCurrentPasswordError extends InvalidCredentialsError {
	constructor() {
		super();
		this.message = 'The current password is not right';
	}
}
export class AccountLockedError extends PublicError {
	constructor() {
		super('Too many wrong codes: this account is locked until an administrator unlocks it');
	}
}
export class WrongCodeError extends PublicError {
	constructor() {
		super('Wrong or expired code');
	}
}

/** What a second factor was tried for: finishing a sign-in, a step-up, or a password reset. */
export type SecondStepPurpose = 'sign-in' | 'step-up' | 'reset';

const ENDED_MESSAGES: Record<SecondStepPurpose, string> = {
	'sign-in': 'Too many wrong tries: this sign-in has ended. Sign in again with your password',
	'step-up': 'Too many wrong tries: you were signed out. Sign in again',
	reset: 'Too many wrong tries: this reset link no longer works. Ask for a new one'
};

/**
 * The session's tries with an authenticator app's code, a backup token or a security key are
 * used up (auth/session-tries.ts): the session has ended, and a right answer no longer counts.
 * A wrong second factor like any other, saying what now.
 */
export class SecondStepEndedError extends WrongCodeError {
	constructor(readonly purpose: SecondStepPurpose) {
		super();
		this.message = ENDED_MESSAGES[purpose];
	}
}

/** Why a security key's answer (a WebAuthn assertion) was refused; each is a failed try. */
export type SecurityKeyRefusal = 'challenge' | 'credential' | 'assertion' | 'counter';

const SECURITY_KEY_REFUSALS: Record<SecurityKeyRefusal, string> = {
	challenge: 'This security key request expired or was already used: try again',
	credential: 'This security key is not registered to your account',
	assertion: 'The security key’s answer did not verify (wrong site or signature)',
	counter:
		'This security key’s signature counter went backwards, so it may have been copied: use another way'
};

/** A security key's answer refused: a wrong second factor like a wrong code, with its reason. */
export class SecurityKeyRefusedError extends WrongCodeError {
	constructor(readonly reason: SecurityKeyRefusal) {
		super();
		this.message = SECURITY_KEY_REFUSALS[reason];
	}
}

/** A new security key that could not be registered (bad or replayed answer, already known). */
export class SecurityKeyRegistrationError extends PublicError {}

/** WebAuthn needs to know the site's origin: ORIGIN, or the request's. */
export class RelyingPartyUnknownError extends PublicError {
	constructor() {
		super('Security keys need the site’s address: set ORIGIN (e.g. https://admin.example.com)');
	}
}

export class NoSecurityKeyError extends PublicError {
	constructor() {
		super('This account has no security key: use another way');
	}
}

export class SecurityKeyLimitError extends PublicError {
	constructor(max: number) {
		super(`At most ${max} security keys per user: remove one first`);
	}
}

export class CodeDeliveryError extends PublicError {
	constructor() {
		super('The code could not be sent. Try “Send a new code” in a minute');
	}
}
export class NoEmailError extends PublicError {
	constructor() {
		super('This account has no email address for codes: use a backup token');
	}
}

/** Confirming an authenticator whose setup a newer one replaced, or that waited too long. */
export class TotpEnrolmentGoneError extends PublicError {
	constructor() {
		super('This authenticator setup has expired or was replaced by a newer one: start again');
	}
}

export class UserExistsError extends PublicError {
	constructor() {
		super('That username or email is taken');
	}
}

export class SetupLinkInvalidError extends PublicError {
	constructor() {
		super('This setup link is not valid');
	}
}

/**
 * A password reset link that cannot be used: unknown, expired, used, replaced by a newer one, or
 * made before the account's password (or address) last changed. One message for every reason.
 */
export class ResetLinkInvalidError extends PublicError {
	constructor() {
		super(
			'This password reset link is not valid: it has expired, was used, or a newer one was sent. Ask for a new link'
		);
	}
}

/**
 * An invitation link that is not live: never issued, spent, revoked by a newer one or by an
 * administrator, expired, or sent to an address the account no longer has. One message for all.
 */
export class InvitationLinkInvalidError extends PublicError {
	constructor() {
		super(
			'This invitation link is not valid: it has expired, was already used or was replaced by a newer one. Ask an administrator to send a new invitation'
		);
	}
}

/** Mailed links need the site's public address: ORIGIN (the request's only outside production). */
export class SiteAddressUnknownError extends PublicError {
	constructor() {
		super('Mailed links need the site’s address: set ORIGIN (e.g. https://admin.example.com)');
	}
}

export class StepUpRequiredError extends PublicError {
	constructor() {
		super('Confirm with a fresh code first');
	}
}

/** A mailed link that is not live: never issued, already used, expired, or replaced by a newer one. */
export class AccountLinkInvalidError extends PublicError {
	constructor() {
		super(
			'This link is not valid: it has expired, was already used, or a newer change replaced it. Nothing was changed'
		);
	}
}

/** A person signed in as one account opened a link mailed for another. */
export class LinkForAnotherAccountError extends PublicError {
	constructor() {
		super(
			'This link is for another account: sign out (or use a private window) and open it again. Nothing was changed'
		);
	}
}

/** The address a pending email change proves was taken by another account in the meantime. */
export class EmailTakenError extends PublicError {
	constructor() {
		super('That address now belongs to another account. Nothing was changed');
	}
}

/** Resending an invitation to someone who already has a password. */
export class NotInvitedError extends PublicError {
	constructor() {
		super('This user already has a password: there is no invitation to send');
	}
}

export class NotFoundError extends PublicError {
	constructor(what = 'Not found') {
		super(what);
	}
}

export class ForbiddenError extends PublicError {
	constructor(message = 'You may only manage your own account') {
		super(message);
	}
}

export class InvalidRequestError extends PublicError {}

/** A FACTOR_POLICY kind as people call it. */
const FACTOR_NAMES: Record<string, string> = {
	webauthn: 'a security key',
	totp: 'an authenticator app',
	email: 'an emailed code',
	backup_token: 'a backup token'
};

/** `a security key or an authenticator app`. */
function factorList(kinds: readonly string[]): string {
	return kinds.map((kind) => FACTOR_NAMES[kind] ?? kind).join(' or ');
}

/**
 * FACTOR_POLICY: the person's role must have one of `kinds` and this session was signed in
 * without one; it may only set one up (and sign out) until then.
 */
export class EnrolmentRequiredError extends ForbiddenError {
	constructor(readonly kinds: readonly string[]) {
		super(`Set up ${factorList(kinds)} first`);
	}
}

/**
 * FACTOR_POLICY: the person holds a factor their role requires, so they sign in and step up with
 * those (or a backup token) and not with `method`. Refused before any try is counted.
 */
export class FactorNotAllowedError extends ForbiddenError {
	constructor(
		readonly method: string,
		readonly kinds: readonly string[]
	) {
		super(
			`Your account signs in with ${factorList(kinds)} (or a backup token), not ${FACTOR_NAMES[method] ?? method}`
		);
	}
}

/**
 * A password reset must be confirmed with a factor other than the mailbox the link went to, when
 * the account has one (`methods`: those it may use).
 */
export class ResetFactorRequiredError extends ForbiddenError {
	constructor(readonly methods: readonly string[]) {
		super(`This link came by email: confirm with ${factorList(methods)} to reset your password`);
	}
}

/** A personal API token called a procedure only a signed-in person may call. */
export class ApiTokenNotAllowedError extends PublicError {
	constructor() {
		super('API tokens cannot call this procedure: sign in as a person to do this');
	}
}

export class ApiTokenLimitError extends PublicError {
	constructor(max: number) {
		super(`At most ${max} API tokens per user: revoke one first`);
	}
}

export class BackupTokenLimitError extends PublicError {
	constructor(max: number) {
		super(`At most ${max} unused backup tokens per user: revoke them or mint fewer`);
	}
}

/**
 * Input that passed its schema but not the data: a value taken by another row, a reference to a
 * row that does not exist, a page past the end. Carries the field (or parameter) it is about, so
 * forms and API clients show it where zod's errors go.
 */
export class InvalidFieldsError extends PublicError {
	constructor(
		readonly fields: Record<string, string>,
		message = 'Invalid input'
	) {
		super(message);
	}
}

/**
 * The row changed since the caller read it (its version moved on), or someone deleted it: nothing
 * was written. `current` is the row as it is now (null when it is gone), so the caller can show
 * it beside their own input.
 */
export class StaleEditError extends PublicError {
	constructor(readonly current: Record<string, unknown> | null) {
		super(
			current
				? 'Someone changed this row since you opened it: nothing was saved. Check the current values and save again'
				: 'Someone deleted this row since you opened it: nothing was saved'
		);
	}
}

/** A delete refused because other rows still refer to this one. */
export class RowInUseError extends PublicError {}

/** The person's role does not grant the permission the call needs. */
export class MissingPermissionError extends ForbiddenError {
	constructor(
		readonly permission: string,
		message = `Your role does not have the permission ${permission}`
	) {
		super(message);
	}
}

/**
 * An API token's scopes do not name the permission the call needs (any one of `permissions`, when
 * the procedure takes several); `permission` is the first of them.
 */
export class ApiTokenScopeError extends MissingPermissionError {
	constructor(readonly permissions: readonly [string, ...string[]]) {
		super(
			permissions[0],
			`This API token's scopes do not include the permission ${permissions.join(' or ')}`
		);
	}
}
