// 1. Initialisation: superjson on the wire, errors that never leak internals.
// 2. Procedure tiers: each one's middleware narrows `ctx`, so a procedure of a tier can rely
//    on what the tier checked. Procedures pick a tier; no ad-hoc auth middleware elsewhere.
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import type { Context } from './context';
import { StepUpRequiredError } from '../services/errors';
import { toTRPCError } from './error-map';
import { formatError } from './errors';

/** Procedure metadata; `description` is a one-line summary for the API reference. */
export interface Meta {
	description: string;
}

const t = initTRPC.context<Context>().meta<Meta>().create({
	transformer: superjson,
	errorFormatter: formatError,
	// tRPC adds stack traces to errors when it thinks it runs in development; never send them.
	isDev: false
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

// Every tier starts here: typed service errors become tRPC codes in one place.
const baseProcedure = t.procedure.use(async ({ next }) => {
	const result = await next();
	if (!result.ok) {
		const mapped = toTRPCError(result.error.cause);
		if (mapped) throw mapped;
	}
	return result;
});

/** Anyone, signed in or not. */
export const publicProcedure = baseProcedure;

/** A session that has passed the password step and waits for its second factor. */
export const pendingProcedure = baseProcedure.use(({ ctx, next }) => {
	const { session, user, sessionToken } = ctx;
	if (!session || !user || !sessionToken || session.state !== 'pending_otp') {
		throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
	}
	return next({ ctx: { ...ctx, session, user, sessionToken } });
});

/** A session that has passed both steps. Checked on every call; no cached flag stands in. */
export const verifiedProcedure = baseProcedure.use(({ ctx, next }) => {
	const { session, user, sessionToken } = ctx;
	if (!session || !user || !sessionToken || session.state !== 'verified') {
		throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
	}
	return next({ ctx: { ...ctx, session, user, sessionToken } });
});

/**
 * A verified session whose last code is recent: for changes an attacker with a stolen session
 * must not make (roles, someone else's password or two-factor address, deletions, minting
 * someone else's backup tokens). `auth.stepUp.*` refreshes it.
 */
export const stepUpProcedure = verifiedProcedure.use(({ ctx, next }) => {
	const verifiedAt = ctx.session.verifiedAt?.getTime() ?? 0;
	if (Date.now() - verifiedAt > ctx.policy.stepUpWindowMs) throw new StepUpRequiredError();
	return next();
});

/** A verified session of a user with the admin role. */
export const adminProcedure = verifiedProcedure.use(({ ctx, next }) => {
	if (ctx.user.role !== 'admin') {
		throw new TRPCError({ code: 'FORBIDDEN', message: 'Administrators only' });
	}
	return next({ ctx: { ...ctx, user: { ...ctx.user, role: 'admin' as const } } });
});

/** An admin's step-up tier: admin role and a recent code. */
export const adminStepUpProcedure = adminProcedure.use(({ ctx, next }) => {
	const verifiedAt = ctx.session.verifiedAt?.getTime() ?? 0;
	if (Date.now() - verifiedAt > ctx.policy.stepUpWindowMs) throw new StepUpRequiredError();
	return next();
});
