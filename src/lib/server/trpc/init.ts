// 1. Initialisation: superjson on the wire (malformed superjson is a 400), errors that never leak
//    internals.
// 2. Procedure tiers: each one's middleware narrows `ctx`, so a procedure of a tier can rely
//    on what the tier checked. Procedures pick a tier; no ad-hoc auth middleware elsewhere.
//    Personal API tokens reach the verified and admin tiers only, and there only the procedures
//    whose `.meta({ scope })` permission their scopes name (and their owner's role holds, now);
//    the human tiers (and the step-up tiers built on them) need a person's verified session.
import { initTRPC, TRPCError, type DataTransformer } from '@trpc/server';
import superjson from 'superjson';
import type { Context } from './context';
import { enrolmentKindsOf } from '../auth/factor-policy';
import type { ApiTokenInfo, SessionInfo, SessionUser } from '../auth/types';
import { ApiTokenNotAllowedError, EnrolmentRequiredError, StepUpRequiredError } from '../errors';
import { toTRPCError } from './error-map';
import { formatError } from './errors';
import { logTrpcError } from './log';
import { requireTokenScope, type Scope } from './scopes';

/** Which tier a procedure is built from; the API reference (docs/API.md) shows it. */
export type Tier =
	| 'public'
	| 'pending'
	| 'verified'
	| 'admin'
	| 'human'
	| 'human-admin'
	| 'step-up'
	| 'admin-step-up';

/**
 * Procedure metadata, merged from the tier's and the procedure's own `.meta()`: every tier sets
 * `tier`, every procedure a one-line `description` (the API reference test checks both).
 */
export interface Meta {
	description?: string;
	tier?: Tier;
	/**
	 * What the procedure checks itself besides its tier, in words (the resources' permission
	 * strings and step-up); the API reference shows it.
	 */
	permission?: string;
	/**
	 * The permission an API token needs (permissions.ts), checked by the verified tier before the
	 * procedure runs: in the token's scopes and held by its owner's role. Several: any one of
	 * them, and the procedure checks the one its input needs. `null`: none, any signed-in caller.
	 * Every procedure of the verified and admin tiers sets it; one that does not refuses tokens.
	 */
	scope?: Scope;
	/**
	 * Callable by a session that must first set up an authenticator app or a security key
	 * (FACTOR_POLICY): what setting one up needs (the cards' reads, step-up, enrolment and
	 * registration). Every other procedure of the signed-in tiers refuses such a session.
	 */
	enrolment?: true;
}

/**
 * superjson (clients pass `superjson` itself). Reading input, a `meta` that names a type its
 * `json` cannot hold (`["bigint"]` on "abc", an unknown class) makes superjson throw, which tRPC
 * would answer as a 500. It is the client's mistake: a 400 PARSE_ERROR, like malformed JSON.
 */
const transformer: DataTransformer = {
	serialize: (value) => superjson.serialize(value),
	deserialize(value) {
		try {
			return superjson.deserialize(value);
		} catch (cause) {
			throw new TRPCError({ code: 'PARSE_ERROR', message: 'Malformed request', cause });
		}
	}
};

const t = initTRPC.context<Context>().meta<Meta>().create({
	transformer,
	errorFormatter: formatError,
	// tRPC adds stack traces to errors when it thinks it runs in development; never send them.
	isDev: false
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

// Every tier starts here: typed service errors become tRPC codes in one place, and an
// unexpected failure is logged here, where the input is known and can be scrubbed, for HTTP
// calls and the pages' server-side caller alike.
const baseProcedure = t.procedure.use(async ({ next, rawInput, ctx, path, type }) => {
	const result = await next();
	if (!result.ok) {
		const mapped = toTRPCError(result.error.cause);
		if (mapped) throw mapped;
		logTrpcError({ error: result.error, path, type, input: rawInput, ctx });
	}
	return result;
});

/** Anyone, signed in or not. */
export const publicProcedure = baseProcedure.meta({ tier: 'public' });

/** A session that has passed the password step and waits for its second factor. */
export const pendingProcedure = baseProcedure.meta({ tier: 'pending' }).use(({ ctx, next }) => {
	if (ctx.apiToken) throw new ApiTokenNotAllowedError();
	const { session, user, sessionToken } = ctx;
	if (!session || !user || !sessionToken || session.state !== 'pending_otp') {
		throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
	}
	return next({ ctx: { ...ctx, session, user, sessionToken } });
});

/**
 * A verified session or a personal API token; checked on every call, no cached flag stands in.
 * Exactly one of `sessionToken` and `apiToken` is set. A session marked at promotion as having to
 * set up a required factor (FACTOR_POLICY) reaches only the procedures whose meta says
 * `enrolment: true`; the mark rides on the session row the request has already read.
 */
const signedInProcedure = baseProcedure.use(({ ctx, meta, next }) => {
	const { session, user } = ctx;
	const oneCredential = (ctx.sessionToken === null) !== (ctx.apiToken === null);
	if (!session || !user || !oneCredential || session.state !== 'verified') {
		throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
	}
	const kinds = enrolmentKindsOf(ctx.policy.factors, user.role, session);
	if (kinds.length > 0 && meta?.enrolment !== true) throw new EnrolmentRequiredError(kinds);
	return next({ ctx: { ...ctx, session, user } });
});

/** Admin role, for the tiers below. */
function asAdmin<C extends { user: SessionUser }>(ctx: C): C & { user: { role: 'admin' } } {
	if (ctx.user.role !== 'admin') {
		throw new TRPCError({ code: 'FORBIDDEN', message: 'Administrators only' });
	}
	return { ...ctx, user: { ...ctx.user, role: 'admin' as const } };
}

/** A person's verified session: never an API token. */
function asHuman<C extends { sessionToken: string | null; apiToken: ApiTokenInfo | null }>(
	ctx: C
): C & { sessionToken: string; apiToken: null } {
	if (ctx.apiToken || ctx.sessionToken === null) throw new ApiTokenNotAllowedError();
	return { ...ctx, sessionToken: ctx.sessionToken, apiToken: null };
}

/** A code verified in this session in the last minutes (API tokens have none). */
function requireRecentCode(ctx: { session: SessionInfo; policy: Context['policy'] }): void {
	const verifiedAt = ctx.session.verifiedAt?.getTime() ?? 0;
	if (Date.now() - verifiedAt > ctx.policy.stepUpWindowMs) throw new StepUpRequiredError();
}

/**
 * A session that has passed both steps, or a personal API token of an active user whose scopes
 * name the procedure's `scope` (and whose owner's role holds it at this call). `ctx.sessionToken`
 * may be null here: procedures that need the session itself (end, promote, step up) belong in
 * `humanProcedure`.
 */
export const verifiedProcedure = signedInProcedure
	.meta({ tier: 'verified' })
	.use(({ ctx, meta, next }) => {
		requireTokenScope(ctx, meta?.scope);
		return next();
	});

/** A verified session or API token of a user with the admin role. */
export const adminProcedure = verifiedProcedure
	.meta({ tier: 'admin' })
	.use(({ ctx, next }) => next({ ctx: asAdmin(ctx) }));

/**
 * A person's verified session, never an API token: password and two-factor changes, the API
 * tokens themselves, and everything that acts on the current session.
 */
export const humanProcedure = signedInProcedure
	.meta({ tier: 'human' })
	.use(({ ctx, next }) => next({ ctx: asHuman(ctx) }));

/** A person's verified session of an admin (never an API token). */
export const humanAdminProcedure = humanProcedure
	.meta({ tier: 'human-admin' })
	.use(({ ctx, next }) => next({ ctx: asAdmin(ctx) }));

/**
 * A person's verified session whose last code is recent: for changes an attacker with a stolen
 * session must not make (roles, someone else's password or two-factor address, deletions,
 * minting someone else's backup tokens, API tokens). `auth.stepUp.*` refreshes it.
 */
export const stepUpProcedure = humanProcedure.meta({ tier: 'step-up' }).use(({ ctx, next }) => {
	requireRecentCode(ctx);
	return next();
});

/** An admin's step-up tier: a person's session, admin role and a recent code. */
export const adminStepUpProcedure = humanAdminProcedure
	.meta({ tier: 'admin-step-up' })
	.use(({ ctx, next }) => {
		requireRecentCode(ctx);
		return next();
	});

/**
 * The step-up tier's checks, for a procedure whose *input* makes the call a step-up change
 * (`users.create` with the admin role): a person's session, never an API token, with a recent
 * code. The procedure's own tier still decides who may call it at all.
 */
export function assertStepUp(ctx: {
	session: SessionInfo;
	sessionToken: string | null;
	apiToken: ApiTokenInfo | null;
	policy: Context['policy'];
}): void {
	asHuman(ctx);
	requireRecentCode(ctx);
}
