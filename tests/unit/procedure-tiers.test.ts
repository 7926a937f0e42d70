import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import type { SessionInfo, SessionUser } from '$lib/server/auth/types';
import { createContextInner, type ContextInner } from '$lib/server/trpc/context';
import {
	adminProcedure,
	createCallerFactory,
	pendingProcedure,
	publicProcedure,
	router,
	verifiedProcedure
} from '$lib/server/trpc/init';

// Each tier's procedure returns what its narrowed context guarantees.
const tiers = router({
	open: publicProcedure.query(({ ctx }) => ctx.user?.id ?? null),
	pending: pendingProcedure.query(({ ctx }) => ctx.user.id),
	verified: verifiedProcedure.query(({ ctx }) => ctx.user.id),
	admin: adminProcedure.query(({ ctx }) => ctx.user.role)
});
const createCaller = createCallerFactory(tiers);

const member: SessionUser = { id: 'u1', username: 'ann', email: null, role: 'member' };
const admin: SessionUser = { ...member, id: 'u2', role: 'admin' };
const session = (state: SessionInfo['state']): SessionInfo => ({
	publicId: 'p1',
	state,
	expiresAt: new Date(Date.now() + 60_000),
	verifiedAt: state === 'verified' ? new Date() : null,
	lastSeenAt: null,
	enrolmentRequired: false
});

function callerFor(user: SessionUser | null, state?: SessionInfo['state']) {
	return createCaller(
		createContextInner({
			db: {} as ContextInner['db'],
			mailer: {} as ContextInner['mailer'],
			sessionToken: user ? 'token' : null,
			dialect: 'sqlite',
			user,
			session: state ? session(state) : null
		})
	);
}

async function codeOf(call: Promise<unknown>): Promise<string> {
	try {
		await call;
		return 'OK';
	} catch (error) {
		return error instanceof TRPCError ? error.code : 'NOT_A_TRPC_ERROR';
	}
}

describe('procedure tiers', () => {
	it('public lets anyone in', async () => {
		expect(await callerFor(null).open()).toBeNull();
	});

	it('pending needs a session waiting for its second factor', async () => {
		expect(await codeOf(callerFor(null).pending())).toBe('UNAUTHORIZED');
		expect(await callerFor(member, 'pending_otp').pending()).toBe('u1');
		expect(await codeOf(callerFor(member, 'verified').pending())).toBe('UNAUTHORIZED');
	});

	it('verified refuses anonymous callers and pending sessions', async () => {
		expect(await codeOf(callerFor(null).verified())).toBe('UNAUTHORIZED');
		expect(await codeOf(callerFor(member, 'pending_otp').verified())).toBe('UNAUTHORIZED');
		expect(await callerFor(member, 'verified').verified()).toBe('u1');
	});

	it('admin needs a verified session of an admin', async () => {
		expect(await codeOf(callerFor(admin, 'pending_otp').admin())).toBe('UNAUTHORIZED');
		expect(await codeOf(callerFor(member, 'verified').admin())).toBe('FORBIDDEN');
		expect(await callerFor(admin, 'verified').admin()).toBe('admin');
	});
});
