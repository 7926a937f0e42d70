// What a personal API token reaches: the verified and admin tiers (scope `read`: queries only),
// never the pending, human or step-up tiers.
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import type { ApiTokenInfo, SessionUser } from '$lib/server/auth/types';
import { ApiTokenNotAllowedError, ReadOnlyApiTokenError } from '$lib/server/errors';
import { createContextInner, type ContextInner } from '$lib/server/trpc/context';
import {
	adminProcedure,
	adminStepUpProcedure,
	createCallerFactory,
	humanAdminProcedure,
	humanProcedure,
	pendingProcedure,
	router,
	stepUpProcedure,
	verifiedProcedure
} from '$lib/server/trpc/init';

const tiers = router({
	verifiedQuery: verifiedProcedure.query(({ ctx }) => ctx.user.id),
	verifiedMutation: verifiedProcedure.mutation(({ ctx }) => ctx.user.id),
	adminQuery: adminProcedure.query(({ ctx }) => ctx.user.role),
	adminMutation: adminProcedure.mutation(({ ctx }) => ctx.user.role),
	pending: pendingProcedure.mutation(() => 'pending'),
	humanQuery: humanProcedure.query(({ ctx }) => ctx.sessionToken),
	humanAdmin: humanAdminProcedure.query(({ ctx }) => ctx.sessionToken),
	stepUp: stepUpProcedure.mutation(() => 'step-up'),
	adminStepUp: adminStepUpProcedure.mutation(() => 'admin-step-up')
});
const createCaller = createCallerFactory(tiers);

const admin: SessionUser = { id: 'u1', username: 'ann', email: null, role: 'admin' };
const member: SessionUser = { ...admin, id: 'u2', role: 'member' };

function callerFor(
	user: SessionUser,
	credential: { apiToken: ApiTokenInfo } | { sessionToken: string }
) {
	const isToken = 'apiToken' in credential;
	return createCaller(
		createContextInner({
			db: {} as ContextInner['db'],
			mailer: {} as ContextInner['mailer'],
			dialect: 'sqlite',
			user,
			session: {
				publicId: 'p1',
				state: 'verified',
				expiresAt: null,
				// A session just verified a code; a token never has one.
				verifiedAt: isToken ? null : new Date(),
				lastSeenAt: null
			},
			...credential
		})
	);
}

const readToken = { apiToken: { id: 't1', scopes: ['read'] as ApiTokenInfo['scopes'] } };
const writeToken = { apiToken: { id: 't2', scopes: ['read', 'write'] as ApiTokenInfo['scopes'] } };

async function refusal(call: Promise<unknown>): Promise<string> {
	try {
		await call;
		return 'OK';
	} catch (error) {
		if (!(error instanceof TRPCError)) return 'NOT_A_TRPC_ERROR';
		if (error.cause instanceof ReadOnlyApiTokenError) return `${error.code} read-only`;
		if (error.cause instanceof ApiTokenNotAllowedError) return `${error.code} no tokens`;
		return error.code;
	}
}

describe('API tokens in the procedure tiers', () => {
	it('a read token runs queries of the verified and admin tiers, and no mutation', async () => {
		const caller = callerFor(admin, readToken);
		expect(await caller.verifiedQuery()).toBe('u1');
		expect(await caller.adminQuery()).toBe('admin');
		expect(await refusal(caller.verifiedMutation())).toBe('FORBIDDEN read-only');
		expect(await refusal(caller.adminMutation())).toBe('FORBIDDEN read-only');
	});

	it('a write token also runs mutations of those tiers', async () => {
		const caller = callerFor(admin, writeToken);
		expect(await caller.verifiedMutation()).toBe('u1');
		expect(await caller.adminMutation()).toBe('admin');
	});

	it('a member’s token gets no admin tier', async () => {
		expect(await refusal(callerFor(member, writeToken).adminQuery())).toBe('FORBIDDEN');
	});

	it('no token reaches the pending, human or step-up tiers', async () => {
		for (const token of [readToken, writeToken]) {
			const caller = callerFor(admin, token);
			expect(await refusal(caller.pending())).toBe('FORBIDDEN no tokens');
			expect(await refusal(caller.humanQuery())).toBe('FORBIDDEN no tokens');
			expect(await refusal(caller.humanAdmin())).toBe('FORBIDDEN no tokens');
			expect(await refusal(caller.stepUp())).toBe('FORBIDDEN no tokens');
			expect(await refusal(caller.adminStepUp())).toBe('FORBIDDEN no tokens');
		}
	});

	it('a person’s verified session reaches them all', async () => {
		const caller = callerFor(admin, { sessionToken: 'session-token' });
		expect(await caller.humanQuery()).toBe('session-token');
		expect(await caller.humanAdmin()).toBe('session-token');
		expect(await caller.stepUp()).toBe('step-up');
		expect(await caller.adminStepUp()).toBe('admin-step-up');
		expect(await caller.verifiedMutation()).toBe('u1');
	});

	it('a context claiming both a session and a token is nobody', async () => {
		const caller = createCaller(
			createContextInner({
				db: {} as ContextInner['db'],
				mailer: {} as ContextInner['mailer'],
				dialect: 'sqlite',
				user: admin,
				session: {
					publicId: 'p1',
					state: 'verified',
					expiresAt: null,
					verifiedAt: new Date(),
					lastSeenAt: null
				},
				sessionToken: 'session-token',
				apiToken: writeToken.apiToken
			})
		);
		expect(await refusal(caller.verifiedQuery())).toBe('UNAUTHORIZED');
		expect(await refusal(caller.humanQuery())).toBe('UNAUTHORIZED');
	});
});
