// Who may call the admin API: members are refused every admin procedure and other users'
// records, and the sensitive changes need a code verified in the last 10 minutes (step-up).
// Server-side callers on each dialect, codes read from a real SMTP server on loopback.
// The rest of the admin API: admin-users, admin-two-factor, admin-sessions-audit.
import { describe, beforeAll, expect, it, vi } from 'vitest';
import { getPolicy } from '$lib/server/auth/policy';
import { rememberDevice } from '$lib/server/auth/remembered-devices';
import { validateSessionToken } from '$lib/server/auth/session';
import { StepUpRequiredError } from '$lib/server/errors';
import { appRouter } from '$lib/server/trpc/router';
import {
	useApiHarness,
	advanceClock,
	errorOf,
	procedureAt,
	type Caller
} from '../helpers/api-harness';
import { uncoveredResourcePaths } from '../helpers/resource-calls';
import { dialects } from '../../tools/databases';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

// Mailed links (users.sendPasswordReset) point at ORIGIN; a caller has no request to take it from.
vi.hoisted(() => {
	process.env.ORIGIN = 'https://admin.example.test';
});

const policy = getPolicy();
const MINUTE = 60_000;

// Verified members may call these (public, the sign-in steps, their own account); every other
// procedure must refuse them, so a new admin procedure is covered without touching this list.
// The resources' procedures check a permission per resource, not the admin role: what a role may
// do there is tests/security/resource-access.test.ts's, derived from the registry.
const MEMBER_ALLOWED = [
	'health',
	'auth.login',
	'auth.me',
	'auth.logout',
	'auth.resendOtp',
	'auth.verifyOtp',
	'auth.stepUp.methods',
	'auth.stepUp.request',
	'auth.stepUp.verify',
	'auth.webauthn.options',
	'auth.webauthn.verify',
	'auth.webauthn.stepUpOptions',
	'auth.webauthn.stepUpVerify',
	'auth.forgotPassword',
	'auth.passwordReset.describe',
	'auth.passwordReset.sendCode',
	'auth.passwordReset.securityKeyOptions',
	'auth.passwordReset.complete',
	'auth.passwordReset.completeWithSecurityKey',
	'setup.status',
	'setup.complete',
	// The links of an email change: whoever holds one (a signed-in member only their own).
	'emailChange.check',
	'emailChange.confirm',
	'emailChange.report',
	'invitations.status',
	'invitations.accept',
	'dev.outbox',
	'account.sessions',
	'account.changePassword',
	'account.devices',
	'account.forgetDevice',
	'account.forgetAllDevices',
	'account.changeEmail',
	'account.cancelEmailChange',
	'users.get',
	'users.history',
	'twoFactor.requestEmail',
	'twoFactor.confirmEmail',
	'twoFactor.clearEmail',
	'totp.status',
	'totp.begin',
	'totp.pending',
	'totp.confirm',
	'totp.remove',
	'securityKeys.listMine',
	'securityKeys.registrationOptions',
	'securityKeys.register',
	'securityKeys.rename',
	'securityKeys.remove',
	'backupTokens.countMine',
	'backupTokens.generateMine',
	'backupTokens.revokeMine',
	'sessions.revoke',
	'sessions.revokeOthers',
	'apiTokens.create',
	// What a token of theirs may name: the permissions their own role holds.
	'apiTokens.permissions',
	'apiTokens.list',
	'apiTokens.revoke',
	// The resources the member's role may read, described; it checks nothing else.
	'resourceCatalog'
];

// The admin procedures with input that would act on the member themself if the tier let it
// through (a member promoting themself is the attack that matters).
const ADMIN_ONLY: Record<string, (member: SeededUser) => unknown> = {
	'users.list': () => ({}),
	'users.create': (member) => ({
		username: `${member.username}-twin`,
		email: `twin-${member.email}`,
		password: 'a long enough password',
		role: 'admin'
	}),
	'users.updateProfile': (member) => ({
		id: member.id,
		username: `${member.username}-x`,
		email: null
	}),
	'users.setRole': (member) => ({ id: member.id, role: 'admin' }),
	'users.setActive': (member) => ({ ids: [member.id], active: false }),
	'users.setPassword': (member) => ({ id: member.id, password: 'a long enough password' }),
	'users.sendPasswordReset': (member) => ({ id: member.id }),
	'users.unlock': (member) => ({ id: member.id }),
	'users.invite': (member) => ({
		username: `${member.username}-invited`,
		email: `invited-${member.email}`,
		role: 'admin'
	}),
	'users.resendInvitation': (member) => ({ id: member.id }),
	'users.revokeInvitation': (member) => ({ id: member.id }),
	'users.delete': (member) => ({ id: member.id }),
	'users.factors': (member) => ({ id: member.id }),
	'users.resetFactors': (member) => ({ id: member.id }),
	'twoFactor.requestEmailFor': (member) => ({ userId: member.id, email: 'elsewhere@example.org' }),
	'twoFactor.clearEmailFor': (member) => ({ userId: member.id }),
	'backupTokens.countFor': (member) => ({ userId: member.id }),
	'backupTokens.generateFor': (member) => ({ userId: member.id, count: 2 }),
	'backupTokens.revokeFor': (member) => ({ userId: member.id }),
	'sessions.all': (member) => ({ userId: member.id }),
	'audit.list': (member) => ({ userId: member.id }),
	'audit.events': () => undefined,
	'audit.dashboard': () => undefined
};

// The procedures of the admin step-up tier, each acting on `target`.
const STEP_UP: Array<{
	path: string;
	call: (caller: Caller, target: SeededUser) => Promise<unknown>;
}> = [
	{ path: 'users.setRole', call: (c, t) => c.users.setRole({ id: t.id, role: 'admin' }) },
	{
		path: 'users.setPassword',
		call: (c, t) => c.users.setPassword({ id: t.id, password: 'a brand new password' })
	},
	{ path: 'users.delete', call: (c, t) => c.users.delete({ id: t.id }) },
	{ path: 'users.sendPasswordReset', call: (c, t) => c.users.sendPasswordReset({ id: t.id }) },
	{ path: 'users.resetFactors', call: (c, t) => c.users.resetFactors({ id: t.id }) },
	{
		path: 'backupTokens.generateFor',
		call: (c, t) => c.backupTokens.generateFor({ userId: t.id, count: 2 })
	},
	{
		path: 'twoFactor.requestEmailFor',
		call: (c, t) =>
			c.twoFactor.requestEmailFor({ userId: t.id, email: `new-${t.username}@example.org` })
	},
	{ path: 'twoFactor.clearEmailFor', call: (c, t) => c.twoFactor.clearEmailFor({ userId: t.id }) }
];

const allPaths = Object.keys(appRouter._def.procedures);
const isResourceProcedure = (path: string) => path.startsWith('resources.');
const refusedToMembers = allPaths.filter(
	(path) => !MEMBER_ALLOWED.includes(path) && !isResourceProcedure(path)
);

describe.each(dialects)('admin API access on %s', (dialect) => {
	const api = useApiHarness(dialect);
	const { callerFor, signIn } = api;

	/** A fresh code in a verified session: sensitive changes work for 10 minutes. */
	async function stepUp(token: string, user: SeededUser): Promise<void> {
		const caller = await callerFor(token);
		await caller.auth.stepUp.request();
		const { code } = await waitForCode(api.sink, user.email!);
		await caller.auth.stepUp.verify({ code });
	}

	/** Everything the admin procedures could change about a user. */
	async function footprint(userId: string) {
		const db = api.db;
		const count = async (
			table:
				'sessions' | 'backup_tokens' | 'otp_email_changes' | 'remembered_devices' | 'account_links'
		) =>
			(await db.selectFrom(table).select('user_id').where('user_id', '=', userId).execute()).length;
		return {
			user: await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst(),
			sessions: await count('sessions'),
			backupTokens: await count('backup_tokens'),
			emailChanges: await count('otp_email_changes'),
			rememberedDevices: await count('remembered_devices'),
			links: await count('account_links')
		};
	}

	describe('a member is refused every admin procedure and other users’ records', () => {
		let member: SeededUser;
		let token: string;
		beforeAll(async () => {
			member = await seedUser(api.db);
			token = await signIn(member);
		});

		it('lists admin procedures and member procedures that all exist', () => {
			expect(allPaths).toEqual(
				expect.arrayContaining([...Object.keys(ADMIN_ONLY), ...MEMBER_ALLOWED])
			);
			expect(refusedToMembers).toEqual(expect.arrayContaining(Object.keys(ADMIN_ONLY)));
			// Every resources.* procedure is one the registry-driven suite knows how to call.
			expect(uncoveredResourcePaths(allPaths)).toEqual([]);
		});

		it.each(Object.keys(ADMIN_ONLY))('%s answers FORBIDDEN and changes nothing', async (path) => {
			const before = await footprint(member.id);
			const call = procedureAt(await callerFor(token), path)(ADMIN_ONLY[path]!(member));
			expect((await errorOf(call)).code).toBe('FORBIDDEN');
			expect(await footprint(member.id)).toEqual(before);
		});

		it.each(refusedToMembers)('%s refuses a member (any procedure not allowed)', async (path) => {
			const error = await errorOf(procedureAt(await callerFor(token), path)({}));
			expect(['FORBIDDEN', 'UNAUTHORIZED']).toContain(error.code);
		});

		it('reads its own record and history, and gets FORBIDDEN for another user’s', async () => {
			const other = await seedUser(api.db);
			const caller = await callerFor(token);
			expect(await caller.users.get({ id: member.id })).toMatchObject({
				id: member.id,
				username: member.username
			});
			const history = await caller.users.history({ id: member.id });
			expect(history.entries.map((entry) => entry.event)).toContain('otp.verified');

			expect((await errorOf(caller.users.get({ id: other.id }))).code).toBe('FORBIDDEN');
			expect((await errorOf(caller.users.history({ id: other.id }))).code).toBe('FORBIDDEN');
		});

		it('gets NOT_FOUND revoking another user’s session, which keeps working', async () => {
			const other = await seedUser(api.db);
			const otherToken = await signIn(other);
			const {
				sessions: [session]
			} = await (await callerFor(otherToken)).account.sessions();
			const caller = await callerFor(token);

			const refused = await errorOf(caller.sessions.revoke({ publicId: session!.publicId }));
			const unknown = await errorOf(caller.sessions.revoke({ publicId: 'a'.repeat(24) }));
			expect(refused.code).toBe('NOT_FOUND');
			// The same answer as for an id that does not exist: no hint that it is someone's.
			expect(refused.message).toBe(unknown.message);
			expect(await validateSessionToken(api.db, otherToken, policy.session)).not.toBeNull();
		});

		it('may revoke a session of its own', async () => {
			const second = await signIn(member);
			const {
				sessions: [newest]
			} = await (await callerFor(second)).account.sessions();
			await (await callerFor(token)).sessions.revoke({ publicId: newest!.publicId });
			expect(await validateSessionToken(api.db, second, policy.session)).toBeNull();
			expect(await validateSessionToken(api.db, token, policy.session)).not.toBeNull();
		});
	});

	describe('sensitive changes need a code verified in the last 10 minutes', () => {
		async function setUp() {
			const admin = await seedUser(api.db, { role: 'admin' });
			const target = await seedUser(api.db);
			// A separate code address, so that clearing it changes something.
			await api.db
				.updateTable('users')
				.set({ otp_email: `codes-${target.username}@example.org` })
				.where('id', '=', target.id)
				.execute();
			// A remembered browser, so that resetting the factors changes something.
			const device = { userId: target.id, ip: null, userAgent: null };
			await rememberDevice(api.db, device, policy.rememberDeviceMs, Date.now());
			return { admin, target, token: await signIn(admin) };
		}

		it.each(STEP_UP)(
			'$path is FORBIDDEN (step-up required) and changes nothing, then works after a fresh code',
			async ({ call }) => {
				const { admin, target, token } = await setUp();
				advanceClock(policy.stepUpWindowMs + MINUTE);
				const before = await footprint(target.id);

				const refused = await errorOf(call(await callerFor(token), target));
				expect(refused.code).toBe('FORBIDDEN');
				expect(refused.cause).toBeInstanceOf(StepUpRequiredError);
				expect(await footprint(target.id)).toEqual(before);

				await stepUp(token, admin);
				await call(await callerFor(token), target);
				expect(await footprint(target.id)).not.toEqual(before);
			}
		);

		it('counts the sign-in itself as a step-up for 10 minutes', async () => {
			const { target, token } = await setUp();
			advanceClock(policy.stepUpWindowMs - MINUTE);
			await (await callerFor(token)).users.setRole({ id: target.id, role: 'admin' });
			expect((await footprint(target.id)).user?.role).toBe('admin');
		});

		it('answers a wrong code with UNAUTHORIZED and counts it against the account', async () => {
			const { admin, target, token } = await setUp();
			advanceClock(policy.stepUpWindowMs + MINUTE);
			const caller = await callerFor(token);
			await caller.auth.stepUp.request();
			const { code } = await waitForCode(api.sink, admin.email!);
			const wrong = code === '000000' ? '111111' : '000000';

			expect((await errorOf(caller.auth.stepUp.verify({ code: wrong }))).code).toBe('UNAUTHORIZED');
			expect((await footprint(admin.id)).user?.otp_failures).toBe(1);
			const refused = await errorOf(caller.users.setRole({ id: target.id, role: 'admin' }));
			expect(refused.cause).toBeInstanceOf(StepUpRequiredError);

			await caller.auth.stepUp.verify({ code });
			expect((await footprint(admin.id)).user?.otp_failures).toBe(0);
			await (await callerFor(token)).users.setRole({ id: target.id, role: 'admin' });
		});
	});
});
