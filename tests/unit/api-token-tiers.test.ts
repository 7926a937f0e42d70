// What a personal API token reaches: the verified and admin tiers, and there only procedures whose
// `.meta({ scope })` permission its scopes name and its owner's role holds at the call; never the
// pending, human or step-up tiers.
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import type { ApiTokenInfo, SessionUser } from '$lib/server/auth/types';
import {
	ApiTokenNotAllowedError,
	ApiTokenScopeError,
	MissingPermissionError
} from '$lib/server/errors';
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
	verifiedQuery: verifiedProcedure
		.meta({ scope: 'featureFlags.read' })
		.query(({ ctx }) => ctx.user.id),
	verifiedMutation: verifiedProcedure
		.meta({ scope: 'featureFlags.update' })
		.mutation(({ ctx }) => ctx.user.id),
	adminQuery: adminProcedure.meta({ scope: 'users.read' }).query(({ ctx }) => ctx.user.role),
	adminMutation: adminProcedure
		.meta({ scope: 'users.update' })
		.mutation(({ ctx }) => ctx.user.role),
	ownOrAnyone: verifiedProcedure
		.meta({ scope: ['account.read', 'users.read'] })
		.query(() => 'own or anyone'),
	noScope: verifiedProcedure.meta({ scope: null }).query(() => 'any signed-in caller'),
	undeclared: verifiedProcedure.query(() => 'undeclared'),
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
				lastSeenAt: null,
				enrolmentRequired: false
			},
			...credential
		})
	);
}

const token = (...scopes: string[]) => ({ apiToken: { id: 't', scopes } });
const readToken = token('read');
const writeToken = token('read', 'write');
const flagsToken = token('featureFlags.read', 'featureFlags.update');

/** 'OK', or the code and what refused: `scope <permissions>`, `role <permission>`, `no tokens`. */
async function refusal(call: Promise<unknown>): Promise<string> {
	try {
		await call;
		return 'OK';
	} catch (error) {
		if (!(error instanceof TRPCError)) return 'NOT_A_TRPC_ERROR';
		const cause = error.cause;
		if (cause instanceof ApiTokenScopeError)
			return `${error.code} scope ${cause.permissions.join(' or ')}`;
		if (cause instanceof MissingPermissionError) return `${error.code} role ${cause.permission}`;
		if (cause instanceof ApiTokenNotAllowedError) return `${error.code} no tokens`;
		return error.code;
	}
}

describe('API tokens in the procedure tiers', () => {
	it('`read` reaches every procedure whose permission is a read, and names the one a change needs', async () => {
		const caller = callerFor(admin, readToken);
		expect(await caller.verifiedQuery()).toBe('u1');
		expect(await caller.adminQuery()).toBe('admin');
		expect(await refusal(caller.verifiedMutation())).toBe('FORBIDDEN scope featureFlags.update');
		expect(await refusal(caller.adminMutation())).toBe('FORBIDDEN scope users.update');
	});

	it('`write` reaches everything its owner may do in those tiers', async () => {
		const caller = callerFor(admin, writeToken);
		expect(await caller.verifiedMutation()).toBe('u1');
		expect(await caller.adminMutation()).toBe('admin');
	});

	it('a token scoped to some permissions reaches those and nothing else', async () => {
		const caller = callerFor(admin, flagsToken);
		expect(await caller.verifiedQuery()).toBe('u1');
		expect(await caller.verifiedMutation()).toBe('u1');
		expect(await refusal(caller.adminQuery())).toBe('FORBIDDEN scope users.read');
		expect(await refusal(caller.adminMutation())).toBe('FORBIDDEN scope users.update');
	});

	it('a procedure taking any of several permissions lets any one in, and names them all', async () => {
		expect(await callerFor(admin, token('users.read')).ownOrAnyone()).toBe('own or anyone');
		expect(await callerFor(member, token('account.read')).ownOrAnyone()).toBe('own or anyone');
		expect(await refusal(callerFor(admin, flagsToken).ownOrAnyone())).toBe(
			'FORBIDDEN scope account.read or users.read'
		);
	});

	it('a token never does more than its owner’s role holds at the call', async () => {
		// As if the owner had been an admin when the token was made, and is a member now.
		const demoted = callerFor(member, token('users.read', 'featureFlags.update'));
		expect(await refusal(demoted.adminQuery())).toBe('FORBIDDEN role users.read');
		expect(await refusal(demoted.verifiedMutation())).toBe('FORBIDDEN role featureFlags.update');
		expect(await refusal(callerFor(member, writeToken).adminQuery())).toBe(
			'FORBIDDEN role users.read'
		);
		expect(await callerFor(member, writeToken).verifiedQuery()).toBe('u2');
	});

	it('`scope: null` lets any token in; a procedure that declares none lets no token in', async () => {
		expect(await callerFor(admin, flagsToken).noScope()).toBe('any signed-in caller');
		expect(await refusal(callerFor(admin, writeToken).undeclared())).toBe('FORBIDDEN no tokens');
		expect(await callerFor(admin, { sessionToken: 'session-token' }).undeclared()).toBe(
			'undeclared'
		);
	});

	it('no token reaches the pending, human or step-up tiers', async () => {
		for (const credential of [readToken, writeToken]) {
			const caller = callerFor(admin, credential);
			expect(await refusal(caller.pending())).toBe('FORBIDDEN no tokens');
			expect(await refusal(caller.humanQuery())).toBe('FORBIDDEN no tokens');
			expect(await refusal(caller.humanAdmin())).toBe('FORBIDDEN no tokens');
			expect(await refusal(caller.stepUp())).toBe('FORBIDDEN no tokens');
			expect(await refusal(caller.adminStepUp())).toBe('FORBIDDEN no tokens');
		}
	});

	it('a person’s verified session reaches them all, scopes or not', async () => {
		const caller = callerFor(admin, { sessionToken: 'session-token' });
		expect(await caller.humanQuery()).toBe('session-token');
		expect(await caller.humanAdmin()).toBe('session-token');
		expect(await caller.stepUp()).toBe('step-up');
		expect(await caller.adminStepUp()).toBe('admin-step-up');
		expect(await caller.verifiedMutation()).toBe('u1');
		expect(await caller.adminMutation()).toBe('admin');
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
					lastSeenAt: null,
					enrolmentRequired: false
				},
				sessionToken: 'session-token',
				apiToken: writeToken.apiToken
			})
		);
		expect(await refusal(caller.verifiedQuery())).toBe('UNAUTHORIZED');
		expect(await refusal(caller.humanQuery())).toBe('UNAUTHORIZED');
	});
});
