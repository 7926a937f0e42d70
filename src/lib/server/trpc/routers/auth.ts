import { loginSchema, verifySchema } from '../../../schemas/auth';
import { verifySecurityKeySchema } from '../../../schemas/webauthn';
import {
	securityKeyChallenge,
	signInWithSecurityKey,
	stepUpWithSecurityKey
} from '../../services/security-key-sign-in';
import { noInputSchema } from '../../../schemas/no-input';
import { clearSessionCookie, setSessionCookie } from '../../auth/session-cookie';
import { resendCode, sendStepUpCode } from '../../services/sign-in-codes';
import { verifySecondFactor, verifyStepUp } from '../../services/second-factor';
import {
	describeSecondStep,
	signInWithPassword,
	signOut,
	type SecondFactorMethod
} from '../../services/sign-in';
import type { ApiTokenInfo, SessionUser } from '../../auth/types';
import { actorOf, originOf, relyingPartyOf } from '../actor';
import { humanProcedure, pendingProcedure, publicProcedure, router } from '../init';

/** What `auth.me` answers: nothing, a pending session's state, or who is signed in. */
export type Me =
	| null
	| {
			session: { state: 'pending_otp'; expiresAt: Date | null };
			/** Where the code goes, masked. */
			email: string | null;
			methods: SecondFactorMethod[];
	  }
	| {
			user: SessionUser;
			session: { state: 'verified'; expiresAt: Date | null };
			apiToken: ApiTokenInfo | null;
	  };

export const authRouter = router({
	login: publicProcedure
		.meta({ description: 'Password step: starts a pending session and emails a code.' })
		.input(loginSchema)
		.mutation(async ({ ctx, input }) => {
			const pending = await signInWithPassword(
				ctx.deps,
				originOf(ctx),
				input.username,
				input.password
			);
			const bearer = input.tokenType === 'bearer';
			if (!bearer && ctx.event) {
				setSessionCookie(ctx.event, pending.session.token, pending.session.expiresAt);
			}
			return {
				status: 'otp_required' as const,
				methods: pending.methods,
				email: pending.maskedEmail,
				codeSent: pending.codeSent,
				expiresAt: pending.codeExpiresAt,
				resendAvailableAt: pending.resendAvailableAt,
				sessionExpiresAt: pending.session.expiresAt,
				...(bearer ? { sessionToken: pending.session.token } : {})
			};
		}),

	resendOtp: pendingProcedure
		.meta({ description: 'Sends a new code; the previous one stops working.' })
		.input(noInputSchema)
		.mutation(async ({ ctx }) => {
			const resent = await resendCode(ctx.deps, originOf(ctx), ctx.user, ctx.sessionToken);
			return { expiresAt: resent.codeExpiresAt, resendAvailableAt: resent.resendAvailableAt };
		}),

	verifyOtp: pendingProcedure
		.meta({ description: 'Second step: an emailed code or a backup token; promotes the session.' })
		.input(verifySchema)
		.mutation(async ({ ctx, input }) => {
			const verified = await verifySecondFactor(
				ctx.deps,
				originOf(ctx),
				ctx.user,
				ctx.sessionToken,
				input.code
			);
			const bearer = ctx.sessionTransport === 'bearer';
			if (!bearer && ctx.event) {
				setSessionCookie(ctx.event, verified.session.token, verified.session.expiresAt);
			}
			return {
				status: 'verified' as const,
				user: verified.user,
				sessionExpiresAt: verified.session.expiresAt,
				...(bearer ? { sessionToken: verified.session.token } : {})
			};
		}),

	stepUp: router({
		request: humanProcedure
			.meta({ description: 'Emails a code to confirm a sensitive change.' })
			.input(noInputSchema)
			.mutation(async ({ ctx }) => {
				const sent = await sendStepUpCode(ctx.deps, originOf(ctx), ctx.user, ctx.sessionToken);
				return { expiresAt: sent.codeExpiresAt, resendAvailableAt: sent.resendAvailableAt };
			}),
		verify: humanProcedure
			.meta({
				description: 'Confirms with the emailed code; sensitive changes work for 10 minutes.'
			})
			.input(verifySchema)
			.mutation(async ({ ctx, input }) => {
				const session = { token: ctx.sessionToken, verifiedAt: ctx.session.verifiedAt };
				return {
					verifiedAt: await verifyStepUp(ctx.deps, originOf(ctx), ctx.user, session, input.code)
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
					"Second step with a security key: the browser's answer to options; promotes the session like verifyOtp."
			})
			.input(verifySecurityKeySchema)
			.mutation(async ({ ctx, input }) => {
				const rp = relyingPartyOf(ctx);
				const verified = await signInWithSecurityKey(
					ctx.deps,
					originOf(ctx),
					rp,
					ctx.user,
					ctx.sessionToken,
					input.response
				);
				const bearer = ctx.sessionTransport === 'bearer';
				if (!bearer && ctx.event) {
					setSessionCookie(ctx.event, verified.session.token, verified.session.expiresAt);
				}
				return {
					status: 'verified' as const,
					user: verified.user,
					sessionExpiresAt: verified.session.expiresAt,
					...(bearer ? { sessionToken: verified.session.token } : {})
				};
			}),
		stepUpOptions: humanProcedure
			.meta({
				description:
					'Step-up with a security key: options for navigator.credentials.get() (a challenge for this session).'
			})
			.input(noInputSchema)
			.mutation(async ({ ctx }) => {
				const rp = relyingPartyOf(ctx);
				return securityKeyChallenge(ctx.deps, rp, ctx.user, ctx.sessionToken, 'step-up');
			}),
		stepUpVerify: humanProcedure
			.meta({
				description:
					"Step-up with a security key: the browser's answer to stepUpOptions; sensitive changes work for 10 minutes."
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

	me: publicProcedure
		.meta({
			description:
				'The caller, or null when not signed in; `apiToken` when a token is used. A pending session sees only its state, expiry, the masked address and its methods.'
		})
		.input(noInputSchema)
		.query(async ({ ctx }): Promise<Me> => {
			if (!ctx.user || !ctx.session) return null;
			const { expiresAt } = ctx.session;
			if (ctx.session.state === 'pending_otp') {
				// A password alone must not reveal the account: no id, role or full address.
				const { methods, maskedEmail } = await describeSecondStep(ctx.deps, ctx.user.id);
				return { session: { state: 'pending_otp', expiresAt }, email: maskedEmail, methods };
			}
			return { user: ctx.user, session: { state: 'verified', expiresAt }, apiToken: ctx.apiToken };
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
