import { loginSchema, verifySchema, verifySignInSchema } from '../../../schemas/auth';
import { signInSecurityKeySchema, verifySecurityKeySchema } from '../../../schemas/webauthn';
import {
	securityKeyChallenge,
	signInWithSecurityKey,
	stepUpWithSecurityKey
} from '../../services/security-key-sign-in';
import { noInputSchema } from '../../../schemas/no-input';
import { readDeviceCookie, setDeviceCookie } from '../../auth/device-cookie';
import { clearSessionCookie, setSessionCookie } from '../../auth/session-cookie';
import { sendCode } from '../../services/sign-in-codes';
import { verifySecondFactor, verifyStepUp, type Verified } from '../../services/second-factor';
import {
	describeSecondStep,
	signInWithPassword,
	signOut,
	type FactorRequirement,
	type SecondFactorMethod
} from '../../services/sign-in';
import { sessionRequirement } from '../../services/factor-policy';
import {
	completeResetSchema,
	completeResetWithKeySchema,
	forgotPasswordSchema,
	resetLinkSchema
} from '../../../schemas/password-reset';
import {
	completePasswordReset,
	describeResetLink,
	requestPasswordReset,
	resetSecurityKeyOptions,
	sendResetCode
} from '../../services/password-reset';
import type { ApiTokenInfo, SessionUser } from '../../auth/types';
import { actorOf, originOf, relyingPartyOf, requireLinkOriginOf } from '../actor';
import { humanProcedure, pendingProcedure, publicProcedure, router } from '../init';
import type { Context } from '../context';

/** What `auth.me` answers: nothing, a pending session's state, or who is signed in. */
export type Me =
	| null
	| {
			session: { state: 'pending_otp'; expiresAt: Date | null };
			/** Where the code goes, masked. */
			email: string | null;
			methods: SecondFactorMethod[];
			/**
			 * FACTOR_POLICY: the kinds the account must have one of, and whether it has none yet (the
			 * session this step leads to must then set one up before anything else).
			 */
			factors: FactorRequirement;
	  }
	| {
			user: SessionUser;
			session: { state: 'verified'; expiresAt: Date | null };
			apiToken: ApiTokenInfo | null;
			/**
			 * FACTOR_POLICY: the kinds the role requires, and whether this session must set one up
			 * before anything else (every other procedure answers FORBIDDEN until then).
			 */
			factors: FactorRequirement;
	  };

/**
 * How a promoted session reaches its client, whichever factor promoted it: a browser gets the
 * session cookie (and, when it asked to be remembered, the device cookie); a bearer client gets
 * the token in the answer. The device token lives only in an HttpOnly cookie, so only a browser
 * can be remembered.
 */
function promotion(
	ctx: Pick<Context, 'sessionTransport' | 'event'>,
	rememberDevice: boolean | undefined
) {
	const bearer = ctx.sessionTransport === 'bearer';
	const cookies = !bearer && ctx.event ? ctx.event : null;
	return {
		options: { rememberDevice: cookies !== null && rememberDevice === true },
		answer(verified: Verified) {
			if (cookies) {
				setSessionCookie(cookies, verified.session.token, verified.session.expiresAt);
				if (verified.device) {
					setDeviceCookie(cookies, verified.device.cookie, verified.device.maxAgeSeconds);
				}
			}
			return {
				status: 'verified' as const,
				user: verified.user,
				sessionExpiresAt: verified.session.expiresAt,
				enrolmentRequired: verified.enrolmentRequired,
				...(bearer ? { sessionToken: verified.session.token } : {})
			};
		}
	};
}

export const authRouter = router({
	login: publicProcedure
		.meta({
			description:
				"Password step: starts a pending session and emails a code when email is the only factor (`methods` lists them), or (`status: 'verified'`) signs in at once when the browser's remembered-device cookie is valid for this account."
		})
		.input(loginSchema)
		.mutation(async ({ ctx, input }) => {
			const bearer = input.tokenType === 'bearer';
			// Remembered devices are browsers: a bearer sign-in always takes the second step.
			const deviceCookie = !bearer && ctx.event ? readDeviceCookie(ctx.event) : null;
			const pending = await signInWithPassword(
				ctx.deps,
				originOf(ctx),
				input.username,
				input.password,
				deviceCookie
			);
			if (!bearer && ctx.event) {
				setSessionCookie(ctx.event, pending.session.token, pending.session.expiresAt);
			}
			if (pending.status === 'verified') {
				return {
					status: 'verified' as const,
					user: pending.user,
					sessionExpiresAt: pending.session.expiresAt
				};
			}
			return {
				status: 'otp_required' as const,
				methods: pending.methods,
				factors: pending.factors,
				email: pending.maskedEmail,
				codeSent: pending.codeSent,
				expiresAt: pending.codeExpiresAt,
				resendAvailableAt: pending.resendAvailableAt,
				sessionExpiresAt: pending.session.expiresAt,
				...(bearer ? { sessionToken: pending.session.token } : {})
			};
		}),

	// With other factors than email, no code goes out at the password step: this sends the first
	// one, once the person chooses email, under the same cooldown and hourly caps.
	resendOtp: pendingProcedure
		.meta({
			description:
				'Emails a code: the first one when the account has other factors, else a new one (the previous one stops working).'
		})
		.input(noInputSchema)
		.mutation(async ({ ctx }) => {
			const resent = await sendCode(ctx.deps, originOf(ctx), ctx.user, ctx.sessionToken);
			return { expiresAt: resent.codeExpiresAt, resendAvailableAt: resent.resendAvailableAt };
		}),

	verifyOtp: pendingProcedure
		.meta({
			description:
				"Second step: an emailed code, a backup token, or an authenticator app's code with method 'totp'; promotes the session. `rememberDevice` (browsers only) sets a cookie that skips this step for REMEMBER_DEVICE_DAYS."
		})
		.input(verifySignInSchema)
		.mutation(async ({ ctx, input }) => {
			const finish = promotion(ctx, input.rememberDevice);
			const verified = await verifySecondFactor(
				ctx.deps,
				originOf(ctx),
				ctx.user,
				ctx.sessionToken,
				{ code: input.code, method: input.method },
				finish.options
			);
			return finish.answer(verified);
		}),

	stepUp: router({
		methods: humanProcedure
			.meta({
				description:
					'The ways this person can confirm a sensitive change (their second factors, preferred first).',
				enrolment: true
			})
			.input(noInputSchema)
			.query(async ({ ctx }) => (await describeSecondStep(ctx.deps, ctx.user)).methods),
		request: humanProcedure
			.meta({ description: 'Emails a code to confirm a sensitive change.', enrolment: true })
			.input(noInputSchema)
			.mutation(async ({ ctx }) => {
				const sent = await sendCode(ctx.deps, originOf(ctx), ctx.user, ctx.sessionToken);
				return { expiresAt: sent.codeExpiresAt, resendAvailableAt: sent.resendAvailableAt };
			}),
		verify: humanProcedure
			.meta({
				description:
					"Confirms with the emailed code, a backup token, or an authenticator app's code with method 'totp'; sensitive changes work for 10 minutes.",
				enrolment: true
			})
			.input(verifySchema)
			.mutation(async ({ ctx, input }) => {
				const session = { token: ctx.sessionToken, verifiedAt: ctx.session.verifiedAt };
				return {
					verifiedAt: await verifyStepUp(ctx.deps, originOf(ctx), ctx.user, session, input)
				};
			})
	}),

	// A security key instead of a code: options (a challenge bound to this session), then the
	// browser's answer. Wrong answers spend the same per-account budget as wrong codes.
	webauthn: router({
		options: pendingProcedure
			.meta({
				description:
					'Second step with a security key: options for navigator.credentials.get() (a challenge for this pending session).'
			})
			.input(noInputSchema)
			.mutation(async ({ ctx }) => {
				const rp = relyingPartyOf(ctx);
				return securityKeyChallenge(ctx.deps, rp, ctx.user, ctx.sessionToken, 'sign-in');
			}),
		verify: pendingProcedure
			.meta({
				description:
					"Second step with a security key: the browser's answer to options; promotes the session like verifyOtp (`rememberDevice` as there)."
			})
			.input(signInSecurityKeySchema)
			.mutation(async ({ ctx, input }) => {
				const finish = promotion(ctx, input.rememberDevice);
				const verified = await signInWithSecurityKey(
					ctx.deps,
					originOf(ctx),
					relyingPartyOf(ctx),
					ctx.user,
					ctx.sessionToken,
					input.response,
					finish.options
				);
				return finish.answer(verified);
			}),
		stepUpOptions: humanProcedure
			.meta({
				description:
					'Step-up with a security key: options for navigator.credentials.get() (a challenge for this session).',
				enrolment: true
			})
			.input(noInputSchema)
			.mutation(async ({ ctx }) => {
				const rp = relyingPartyOf(ctx);
				return securityKeyChallenge(ctx.deps, rp, ctx.user, ctx.sessionToken, 'step-up');
			}),
		stepUpVerify: humanProcedure
			.meta({
				description:
					"Step-up with a security key: the browser's answer to stepUpOptions; sensitive changes work for 10 minutes.",
				enrolment: true
			})
			.input(verifySecurityKeySchema)
			.mutation(async ({ ctx, input }) => {
				const rp = relyingPartyOf(ctx);
				return {
					verifiedAt: await stepUpWithSecurityKey(
						ctx.deps,
						originOf(ctx),
						rp,
						ctx.user,
						ctx.sessionToken,
						input.response
					)
				};
			})
	}),

	// Always the same answer, whether or not the account exists (services/password-reset.ts).
	forgotPassword: publicProcedure
		.meta({
			description:
				'Mails a password reset link (valid 30 minutes) to the account with this username or email, if there is one and it may have one; the answer is the same either way.'
		})
		.input(forgotPasswordSchema)
		.mutation(async ({ ctx, input }) => {
			const siteOrigin = requireLinkOriginOf(ctx);
			await requestPasswordReset(ctx.deps, originOf(ctx), input.login, siteOrigin);
			return { ok: true as const };
		}),

	// A mailed reset link: what it needs, then the new password with a second factor that is not
	// the mailbox (where the account has one). Anyone holding the link may call these.
	passwordReset: router({
		describe: publicProcedure
			.meta({
				description:
					'A reset link: the second factors that may confirm it (preferred first), the masked address an emailed code goes to when that is the way, and its expiry; NOT_FOUND when it cannot be used.'
			})
			.input(resetLinkSchema)
			.query(({ ctx, input }) => describeResetLink(ctx.deps, input.token)),
		sendCode: publicProcedure
			.meta({
				description:
					'Emails a code to confirm a reset, for an account whose only factor is email (cooldown and hourly cap as at sign-in).'
			})
			.input(resetLinkSchema)
			.mutation(async ({ ctx, input }) => {
				const sent = await sendResetCode(ctx.deps, originOf(ctx), input.token);
				return { expiresAt: sent.codeExpiresAt, resendAvailableAt: sent.resendAvailableAt };
			}),
		securityKeyOptions: publicProcedure
			.meta({
				description:
					'Options for navigator.credentials.get() to confirm a reset with a security key (a challenge bound to the link).'
			})
			.input(resetLinkSchema)
			.mutation(({ ctx, input }) =>
				resetSecurityKeyOptions(ctx.deps, originOf(ctx), relyingPartyOf(ctx), input.token)
			),
		complete: publicProcedure
			.meta({
				description:
					"Sets the new password with an authenticator app's code (method 'totp'), a backup token, or (email-only accounts) the emailed code; spends the link, ends every session, remembered device and API token, mails a notice."
			})
			.input(completeResetSchema)
			.mutation(async ({ ctx, input }) => {
				await completePasswordReset(ctx.deps, originOf(ctx), input.token, input.password, {
					code: { code: input.code, method: input.method }
				});
				return { ok: true as const };
			}),
		completeWithSecurityKey: publicProcedure
			.meta({
				description:
					"Sets the new password with a security key's answer to securityKeyOptions; otherwise as complete."
			})
			.input(completeResetWithKeySchema)
			.mutation(async ({ ctx, input }) => {
				await completePasswordReset(ctx.deps, originOf(ctx), input.token, input.password, {
					securityKey: { rp: relyingPartyOf(ctx), response: input.response }
				});
				return { ok: true as const };
			})
	}),

	me: publicProcedure
		.meta({
			description:
				'The caller, or null when not signed in; `apiToken` when a token is used; `factors`: what FACTOR_POLICY requires. A pending session sees only its state, expiry, the masked address, its methods (the second factors, preferred first) and factors.'
		})
		.input(noInputSchema)
		.query(async ({ ctx }): Promise<Me> => {
			if (!ctx.user || !ctx.session) return null;
			const { expiresAt } = ctx.session;
			if (ctx.session.state === 'pending_otp') {
				// A password alone must not reveal the account: no id, role or full address.
				const { methods, maskedEmail, factors } = await describeSecondStep(ctx.deps, ctx.user);
				return {
					session: { state: 'pending_otp', expiresAt },
					email: maskedEmail,
					methods,
					factors
				};
			}
			// No query beyond the session check: clients ask this on every page or poll.
			return {
				user: ctx.user,
				session: { state: 'verified', expiresAt },
				apiToken: ctx.apiToken,
				factors: sessionRequirement(ctx.deps, ctx.user, ctx.session)
			};
		}),

	logout: publicProcedure
		.meta({ description: 'Ends the current session (pending or verified).' })
		.input(noInputSchema)
		.mutation(async ({ ctx }) => {
			const { sessionToken, user } = ctx;
			if (sessionToken && user) await signOut(ctx.deps, actorOf({ ...ctx, user }), sessionToken);
			if (ctx.event && ctx.sessionTransport !== 'bearer') clearSessionCookie(ctx.event);
			return { ok: true as const };
		})
});
