// 1. Initialisation: superjson on the wire, errors that never leak internals.
// 2. Procedure tiers: each one's middleware narrows `ctx`, so a procedure of a tier can rely
//    on what the tier checked. Procedures pick a tier; no ad-hoc auth middleware elsewhere.
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import type { Context } from './context';
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

/** Anyone, signed in or not. */
export const publicProcedure = t.procedure;

/** A session that has passed the password step and waits for its second factor. */
export const pendingProcedure = t.procedure.use(({ ctx, next }) => {
	if (!ctx.session || !ctx.user || ctx.session.state !== 'pending_otp') {
		throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
	}
	return next({ ctx: { ...ctx, session: ctx.session, user: ctx.user } });
});

/** A session that has passed both steps. Checked on every call; no cached flag stands in. */
export const verifiedProcedure = t.procedure.use(({ ctx, next }) => {
	if (!ctx.session || !ctx.user || ctx.session.state !== 'verified') {
		throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
	}
	return next({ ctx: { ...ctx, session: ctx.session, user: ctx.user } });
});

/** A verified session of a user with the admin role. */
export const adminProcedure = verifiedProcedure.use(({ ctx, next }) => {
	if (ctx.user.role !== 'admin') {
		throw new TRPCError({ code: 'FORBIDDEN', message: 'Administrators only' });
	}
	return next({ ctx: { ...ctx, user: { ...ctx.user, role: 'admin' as const } } });
});
