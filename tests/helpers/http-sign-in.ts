// Signing in to a running build over plain HTTP, by cookie (as the browser does) or by bearer
// token (as other tools do): the password step alone (a pending session) or both steps.
import type { SignInUser } from './api-harness';
import { CookieJar, trpcMutation, waitForCode, type TrpcReply } from '../../tools/sign-in';
import type { SmtpSink } from '../../tools/smtp-sink';

export interface LoginResult {
	status: 'otp_required';
	sessionExpiresAt: Date;
	sessionToken?: string;
}

export interface VerifyResult {
	status: 'verified';
	sessionExpiresAt: Date;
	sessionToken?: string;
}

export interface HttpSignInOptions {
	transport: 'cookie' | 'bearer';
	/**
	 * The Origin the browser would send: the app's public origin (its ORIGIN), which differs from
	 * the address the test connects to when the server believes it is behind https.
	 */
	origin?: string;
	/** The session cookie's name: `session`, or `__Host-session` when the origin is https. */
	cookieName?: string;
}

export interface PendingOverHttp {
	/** Holds the pending cookie (cookie transport); empty for bearer. */
	jar: CookieJar;
	pendingToken: string;
	code: string;
	login: TrpcReply<LoginResult>;
}

export interface VerifiedOverHttp extends PendingOverHttp {
	/** The verified session's token (the jar holds it too, for the cookie transport). */
	token: string;
	verify: TrpcReply<VerifyResult>;
}

/** Headers of a call made with the session the jar or token holds. */
export function sessionHeaders(
	options: HttpSignInOptions,
	origin: string,
	token: string
): Record<string, string> {
	return options.transport === 'bearer'
		? { authorization: `Bearer ${token}` }
		: { origin: options.origin ?? origin };
}

/** The password step: a pending session, and the code the user was emailed. */
export async function startSignInOverHttp(
	origin: string,
	sink: SmtpSink,
	user: SignInUser,
	options: HttpSignInOptions
): Promise<PendingOverHttp> {
	const jar = new CookieJar();
	const bearer = options.transport === 'bearer';
	const login = await trpcMutation<LoginResult>(origin, 'auth.login', {
		input: { username: user.username, password: user.password, tokenType: options.transport },
		headers: bearer ? {} : { origin: options.origin ?? origin },
		jar: bearer ? undefined : jar
	});
	if (login.error) throw new Error(`login failed: ${login.error.code} ${login.error.message}`);
	const pendingToken = bearer
		? login.data!.sessionToken!
		: jar.get(options.cookieName ?? 'session')!;
	const { code } = await waitForCode(sink, user.email!);
	return { jar, pendingToken, code, login };
}

/** Both steps: a verified session. */
export async function signInOverHttp(
	origin: string,
	sink: SmtpSink,
	user: SignInUser,
	options: HttpSignInOptions
): Promise<VerifiedOverHttp> {
	const pending = await startSignInOverHttp(origin, sink, user, options);
	const bearer = options.transport === 'bearer';
	const verify = await trpcMutation<VerifyResult>(origin, 'auth.verifyOtp', {
		input: { code: pending.code },
		headers: sessionHeaders(options, origin, pending.pendingToken),
		jar: bearer ? undefined : pending.jar
	});
	if (verify.error) throw new Error(`verify failed: ${verify.error.code} ${verify.error.message}`);
	const token = bearer
		? verify.data!.sessionToken!
		: pending.jar.get(options.cookieName ?? 'session')!;
	return { ...pending, token, verify };
}
