// Personal API tokens through the server-side caller, on each dialect: created only by a person
// who just verified a code, shown once, stored as a hash, limited by scope (the shorthands and
// permissions that name what a token reaches, within its owner's role), never reaching the human
// tiers, and dead once revoked, expired, deactivated or (if chosen) after a password change.
// Callers are built by `authenticate`, exactly as the session hook builds `locals`.
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '$lib/server/auth/crypto';
import { authenticate } from '$lib/server/auth/authenticate';
import { getPolicy } from '$lib/server/auth/policy';
import {
	ApiTokenNotAllowedError,
	ApiTokenScopeError,
	MissingPermissionError,
	StepUpRequiredError
} from '$lib/server/errors';
import type { Meta } from '$lib/server/trpc/init';
import { appRouter } from '$lib/server/trpc/router';
import {
	useApiHarness,
	advanceClock,
	errorOf,
	procedureAt,
	type Caller
} from '../helpers/api-harness';
import { createFlag } from '../helpers/feature-flags';
import { dialects } from '../../tools/databases';
import { seedUser } from '../../tools/sign-in';

const policy = getPolicy();
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const TOKEN_FORMAT = /^([a-z2-7]{8})_([a-z2-7]{32})$/;

interface ProcedureInfo {
	path: string;
	tier: NonNullable<Meta['tier']>;
	mutation: boolean;
}

const procedures: ProcedureInfo[] = Object.entries(
	appRouter._def.procedures as Record<string, { _def: { meta?: Meta; mutation?: boolean } }>
).map(([path, procedure]) => ({
	path,
	tier: procedure._def.meta?.tier ?? 'public',
	mutation: Boolean(procedure._def.mutation)
}));

// Only a person's session may call these: the token namespaces the issue names, and every
// procedure of a tier a token may not reach.
const NAMED_HUMAN_ONLY = (path: string) =>
	path.startsWith('apiTokens.') ||
	path.startsWith('twoFactor.') ||
	path.startsWith('auth.stepUp.') ||
	['account.changePassword', 'auth.verifyOtp', 'auth.resendOtp'].includes(path);
const TOKEN_TIERS = ['public', 'verified', 'admin'];
const refusedToTokens = procedures.filter((p) => !TOKEN_TIERS.includes(p.tier)).map((p) => p.path);
const tokenMutations = procedures
	.filter((p) => p.mutation && p.tier !== 'public')
	.map((p) => p.path);

describe.each(dialects)('API tokens on %s', (dialect) => {
	const api = useApiHarness(dialect, { auth: 'authenticate' });
	const { callerFor, signIn } = api;

	async function newToken(
		session: string,
		scopes: string[] = ['read', 'write'],
		expiresInDays: number | null = null
	) {
		return (await callerFor(session)).apiTokens.create({ name: 'ci', scopes, expiresInDays });
	}

	/** A user signed in, with a token of the given scopes. */
	async function userWithToken(options: { role?: 'admin' | 'member'; scopes?: string[] } = {}) {
		const user = await seedUser(api.db, { role: options.role ?? 'member' });
		const session = await signIn(user);
		const created = await newToken(session, options.scopes ?? ['read', 'write']);
		return { user, session, token: created.token, id: created.apiToken.id };
	}

	/** Everything a refused call could have changed about a user. */
	async function footprint(userId: string) {
		const db = api.db;
		const count = async (
			table: 'sessions' | 'backup_tokens' | 'api_tokens' | 'otp_email_changes'
		) =>
			(await db.selectFrom(table).select('user_id').where('user_id', '=', userId).execute()).length;
		return {
			user: await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst(),
			sessions: await count('sessions'),
			backupTokens: await count('backup_tokens'),
			apiTokens: await count('api_tokens'),
			emailChanges: await count('otp_email_changes')
		};
	}

	async function tokenRow(id: string) {
		return api.db
			.selectFrom('api_tokens')
			.selectAll()
			.where('id', '=', id)
			.executeTakeFirstOrThrow();
	}

	async function auditEvents(event: string, subjectId: string) {
		return api.db
			.selectFrom('audit_log')
			.select(['event', 'actor_id', 'ip', 'details'])
			.where('event', '=', event)
			.where('subject_id', '=', subjectId)
			.execute();
	}

	describe('creating a token needs a code verified in the last 10 minutes', () => {
		it('is FORBIDDEN 11 minutes after the sign-in, and works after a fresh one', async () => {
			const user = await seedUser(api.db);
			const session = await signIn(user);
			advanceClock(policy.stepUpWindowMs + MINUTE);

			const refused = await errorOf(newToken(session));
			expect(refused.code).toBe('FORBIDDEN');
			expect(refused.cause).toBeInstanceOf(StepUpRequiredError);
			expect((await footprint(user.id)).apiTokens).toBe(0);

			const created = await newToken(await signIn(user));
			expect(created.token).toMatch(TOKEN_FORMAT);
		});

		it('is audited with the prefix and scopes, never the token', async () => {
			const { user, token } = await userWithToken({ scopes: ['read'] });
			const [entry] = await auditEvents('api_token.created', user.id);
			expect(entry?.actor_id).toBe(user.id);
			expect(entry?.details).toContain(`token=${token.slice(0, 8)}`);
			expect(entry?.details).toContain('scopes=read');
			expect(entry?.details).not.toContain(token.slice(9));
		});

		it('refuses malformed or no scopes, and lifetimes beyond a year', async () => {
			const user = await seedUser(api.db);
			const caller = await callerFor(await signIn(user));
			const create = (input: unknown) =>
				errorOf(caller.apiTokens.create(input as Parameters<Caller['apiTokens']['create']>[0]));
			const base = { name: 'x', scopes: ['read'], expiresInDays: 30 };
			expect((await create({ ...base, scopes: ['admin'] })).code).toBe('BAD_REQUEST');
			expect((await create({ ...base, scopes: ['featureFlags.*'] })).code).toBe('BAD_REQUEST');
			expect((await create({ ...base, scopes: 'read' })).code).toBe('BAD_REQUEST');
			expect((await create({ ...base, scopes: [] })).code).toBe('BAD_REQUEST');
			expect((await create({ ...base, expiresInDays: 366 })).code).toBe('BAD_REQUEST');
			expect((await create({ ...base, expiresInDays: 0 })).code).toBe('BAD_REQUEST');
			expect((await create({ ...base, name: '  ' })).code).toBe('BAD_REQUEST');
		});
	});

	describe('the secret is shown once; only its SHA-256 and the prefix are stored', () => {
		it('returns the token once, and lists never carry it or its hash', async () => {
			const user = await seedUser(api.db);
			const session = await signIn(user);
			const created = await newToken(session, ['read'], 30);
			const [, prefix, secret] = TOKEN_FORMAT.exec(created.token)!;
			expect(created.apiToken).toMatchObject({
				userId: user.id,
				name: 'ci',
				prefix,
				scopes: ['read'],
				lastUsedAt: null
			});
			expect(created.apiToken.expiresAt!.getTime() - Date.now()).toBeGreaterThan(29 * DAY);

			const list = await (await callerFor(session)).apiTokens.list();
			expect(list).toHaveLength(1);
			expect(Object.keys(list[0]!).sort()).toEqual(
				[
					'id',
					'userId',
					'name',
					'prefix',
					'scopes',
					'expiresAt',
					'createdAt',
					'lastUsedAt',
					'lastUsedIp'
				].sort()
			);
			const listed = JSON.stringify(list);
			expect(listed).not.toContain(secret);
			expect(listed).not.toContain(sha256Hex(created.token));
		});

		it('keeps no raw token in the tables', async () => {
			const { token, id } = await userWithToken();
			await callerFor(token); // a first use, audited
			const row = await tokenRow(id);
			expect(row.token_hash).toBe(sha256Hex(token));
			expect(row.prefix).toBe(token.slice(0, 8));
			const secret = token.slice(9);
			for (const table of ['api_tokens', 'audit_log'] as const) {
				const dump = JSON.stringify(await api.db.selectFrom(table).selectAll().execute());
				expect(dump).not.toContain(secret);
			}
		});
	});

	describe('a token authenticates as its user, with its scopes', () => {
		it('is the user for auth.me, with no session token and no verified code', async () => {
			const { user, token, id } = await userWithToken({ scopes: ['read'] });
			const me = await (await callerFor(token)).auth.me();
			expect(me).toMatchObject({
				user: { id: user.id, username: user.username },
				session: { state: 'verified', expiresAt: null },
				apiToken: { id, scopes: ['read'] }
			});
			const auth = await authenticate(api.db, { token, transport: 'bearer' }, policy.session, {
				ip: () => '203.0.113.7',
				userAgent: null
			});
			expect(auth?.sessionToken).toBeNull();
			expect(auth?.session.verifiedAt).toBeNull();
		});

		it('works only as a bearer header, and only exactly as issued', async () => {
			const { token } = await userWithToken();
			const client = { ip: () => '203.0.113.7', userAgent: null };
			const as = (value: string, transport: 'cookie' | 'bearer' = 'bearer') =>
				authenticate(api.db, { token: value, transport }, policy.session, client);
			expect(await as(token, 'cookie')).toBeNull();
			expect(await as(token.toUpperCase())).toBeNull();
			expect(await as(token.slice(0, -1))).toBeNull();
			expect(await as(token + 'a')).toBeNull();
			expect(await as(token.slice(0, -1) + (token.endsWith('a') ? 'b' : 'a'))).toBeNull();
			expect(await as(`${token.slice(0, 8)}_x`)).toBeNull();
			expect(await as(token)).not.toBeNull();
		});

		it('a read token runs queries', async () => {
			const { user, token } = await userWithToken({ role: 'admin', scopes: ['read'] });
			const caller = await callerFor(token);
			expect(await caller.users.get({ id: user.id })).toMatchObject({ id: user.id });
			const { users } = await caller.users.list({});
			expect(users.map((row) => row.id)).toContain(user.id);
			expect(await caller.audit.events()).toContain('api_token.created');
			await caller.account.sessions();
		});

		it.each(tokenMutations)(
			'a read token gets FORBIDDEN from %s and changes nothing',
			async (path) => {
				const { user, token } = await userWithToken({ role: 'admin', scopes: ['read'] });
				const before = await footprint(user.id);
				const error = await errorOf(procedureAt(await callerFor(token), path)({}));
				expect(error.code).toBe('FORBIDDEN');
				// Verified and admin mutations: a permission `read` does not name; pending and human
				// tiers: no tokens at all.
				const refusal =
					error.cause instanceof ApiTokenScopeError ||
					error.cause instanceof ApiTokenNotAllowedError;
				expect(refusal, String(error.cause)).toBe(true);
				expect(await footprint(user.id)).toEqual(before);
			}
		);

		it('a write token may call the mutations of the verified and admin tiers', async () => {
			const { token } = await userWithToken({ role: 'admin' });
			const target = await seedUser(api.db);
			const caller = await callerFor(token);
			await api.db
				.updateTable('users')
				.set({ locked_at: Date.now(), otp_failures: 100 })
				.where('id', '=', target.id)
				.execute();
			await caller.users.unlock({ id: target.id });
			expect((await footprint(target.id)).user).toMatchObject({ locked_at: null, otp_failures: 0 });
			const username = `made-${target.username}`;
			const member = { username, email: `${username}@example.com`, password: 'long enough' };
			const { id } = await caller.users.create({ ...member, role: 'member' });
			expect((await footprint(id)).user?.role).toBe('member');
		});

		it('a member’s token is refused the admin tier', async () => {
			const { token } = await userWithToken({ role: 'member' });
			expect((await errorOf((await callerFor(token)).users.list({}))).code).toBe('FORBIDDEN');
		});
	});

	describe('a token scoped to permissions reaches exactly those', () => {
		it('featureFlags.read + featureFlags.update: lists and updates flags, and lists no users', async () => {
			const { user, token } = await userWithToken({
				role: 'admin',
				scopes: ['featureFlags.read', 'featureFlags.update']
			});
			const actor = { actorId: user.id, ip: null, userAgent: null };
			const flag = await createFlag(api.db, actor, `scoped-${user.id}`);
			const caller = await callerFor(token);

			const { rows } = await caller.resources.featureFlags.list({ search: String(flag.key) });
			expect(rows.map((row) => row.id)).toEqual([flag.id]);
			const updated = await caller.resources.featureFlags.update({
				id: flag.id,
				version: flag.version,
				values: { description: 'changed by a scoped token' }
			});
			expect(updated).toMatchObject({ version: flag.version + 1 });
			const stored = await api.db
				.selectFrom('feature_flags' as never)
				.select('description' as never)
				.where('id' as never, '=', flag.id as never)
				.executeTakeFirstOrThrow();
			expect(stored).toEqual({ description: 'changed by a scoped token' });

			const users = await errorOf(caller.users.list({}));
			expect(users.code).toBe('FORBIDDEN');
			expect(users.cause).toBeInstanceOf(ApiTokenScopeError);
			expect((users.cause as ApiTokenScopeError).permission).toBe('users.read');
			expect(users.message).toContain('users.read');
			const created = await errorOf(caller.resources.featureFlags.create({ key: 'not-made' }));
			expect(created.message).toContain('featureFlags.create');

			// The catalog shows what the token may do, not all its owner may.
			const [described] = await caller.resourceCatalog();
			expect(described).toMatchObject({
				name: 'featureFlags',
				can: { read: true, create: false, update: true, delete: false }
			});
		});

		it('lists, auth.me and the audit row show the scopes as stored', async () => {
			const { user, session, token, id } = await userWithToken({
				role: 'admin',
				scopes: ['featureFlags.update', 'users.read', 'featureFlags.update']
			});
			await newToken(session, ['write']);
			const list = await (await callerFor(session)).apiTokens.list();
			// Both may be made in the same millisecond: the list's order between them is not the point.
			expect(list.map((row) => row.scopes)).toHaveLength(2);
			expect(list.map((row) => row.scopes)).toEqual(
				expect.arrayContaining([
					['read', 'write'],
					['featureFlags.update', 'users.read']
				])
			);
			const me = await (await callerFor(token)).auth.me();
			expect(me).toMatchObject({ apiToken: { id, scopes: ['featureFlags.update', 'users.read'] } });
			const [entry] = await auditEvents('api_token.created', user.id);
			expect(entry?.details).toContain('scopes=featureFlags.update,users.read');
		});

		it('offers a person the permissions their role holds', async () => {
			const member = await seedUser(api.db);
			const groups = await (await callerFor(await signIn(member))).apiTokens.permissions();
			expect(groups.flatMap((group) => group.permissions.map((p) => p.permission))).toEqual([
				'account.read',
				'account.update',
				'featureFlags.read'
			]);
		});

		it('a member’s own-account scopes reach their own data, not anyone else’s', async () => {
			const { user, token } = await userWithToken({ scopes: ['account.read'] });
			const caller = await callerFor(token);
			expect(await caller.users.get({ id: user.id })).toMatchObject({ id: user.id });
			expect((await caller.account.sessions()).total).toBe(1);
			const other = await seedUser(api.db);
			const refused = await errorOf(caller.users.get({ id: other.id }));
			expect(refused.code).toBe('FORBIDDEN');
			const flags = await errorOf(caller.resources.featureFlags.list({}));
			expect(flags.cause).toBeInstanceOf(ApiTokenScopeError);
		});

		it('an admin’s token with account.read reads only its owner, with users.read anyone', async () => {
			const own = await userWithToken({ role: 'admin', scopes: ['account.read'] });
			const other = await seedUser(api.db);
			const refused = await errorOf((await callerFor(own.token)).users.get({ id: other.id }));
			expect(refused.cause).toBeInstanceOf(ApiTokenScopeError);
			expect((refused.cause as MissingPermissionError).permission).toBe('users.read');
			const anyone = await newToken(own.session, ['users.read']);
			expect(await (await callerFor(anyone.token)).users.get({ id: other.id })).toMatchObject({
				id: other.id
			});
		});
	});

	describe('a token never reaches the API tokens, password, two-factor or step-up procedures', () => {
		it('covers every procedure the issue names', () => {
			const named = procedures.filter((p) => NAMED_HUMAN_ONLY(p.path)).map((p) => p.path);
			expect(named).toEqual(
				expect.arrayContaining([
					'apiTokens.create',
					'apiTokens.list',
					'apiTokens.revoke',
					'apiTokens.listFor',
					'apiTokens.revokeFor',
					'account.changePassword',
					'twoFactor.requestEmail',
					'auth.stepUp.request',
					'auth.stepUp.verify',
					'auth.verifyOtp',
					'auth.resendOtp'
				])
			);
			expect(refusedToTokens).toEqual(expect.arrayContaining(named));
			// And every procedure of the step-up tiers.
			const stepUp = procedures.filter((p) => p.tier.endsWith('step-up')).map((p) => p.path);
			expect(stepUp.length).toBeGreaterThan(0);
			expect(refusedToTokens).toEqual(expect.arrayContaining(stepUp));
		});

		it.each(refusedToTokens)(
			'%s answers an admin’s write token FORBIDDEN and changes nothing',
			async (path) => {
				const { user, token } = await userWithToken({ role: 'admin' });
				const before = await footprint(user.id);
				const error = await errorOf(procedureAt(await callerFor(token), path)({}));
				expect(error.code).toBe('FORBIDDEN');
				expect(error.cause).toBeInstanceOf(ApiTokenNotAllowedError);
				expect(error.message).toMatch(/API tokens cannot/);
				expect(await footprint(user.id)).toEqual(before);
			}
		);

		it('refuses well-formed sensitive calls too', async () => {
			const { user, token } = await userWithToken({ role: 'admin' });
			const other = await seedUser(api.db);
			const before = { self: await footprint(user.id), other: await footprint(other.id) };
			const caller = await callerFor(token);
			const calls = [
				caller.apiTokens.create({ name: 'more', scopes: ['read', 'write'], expiresInDays: null }),
				caller.account.changePassword({ current: user.password, next: 'a brand new password' }),
				caller.users.setPassword({ id: other.id, password: 'a brand new password' }),
				caller.users.setRole({ id: other.id, role: 'admin' }),
				caller.twoFactor.requestEmail({ email: 'elsewhere@example.org' }),
				caller.backupTokens.generateMine({ count: 2 }),
				caller.auth.stepUp.request()
			];
			for (const call of calls) expect((await errorOf(call)).code).toBe('FORBIDDEN');
			expect({ self: await footprint(user.id), other: await footprint(other.id) }).toEqual(before);
		});
	});

	describe('revoking, expiry, deactivation and password changes kill tokens', () => {
		it('a revoked token is UNAUTHORIZED; revoking is audited', async () => {
			const { user, session, token, id } = await userWithToken();
			await (await callerFor(session)).apiTokens.revoke({ id });
			expect((await errorOf((await callerFor(token)).users.get({ id: user.id }))).code).toBe(
				'UNAUTHORIZED'
			);
			expect(await (await callerFor(session)).apiTokens.list()).toEqual([]);
			const [entry] = await auditEvents('api_token.revoked', user.id);
			expect(entry?.details).toBe(`token=${token.slice(0, 8)}`);
		});

		it('nobody revokes someone else’s token but an admin', async () => {
			const owner = await userWithToken();
			const intruder = await seedUser(api.db);
			const refused = await errorOf(
				(await callerFor(await signIn(intruder))).apiTokens.revoke({ id: owner.id })
			);
			expect(refused.code).toBe('NOT_FOUND');
			expect(await (await callerFor(owner.token)).auth.me()).not.toBeNull();

			const admin = await seedUser(api.db, { role: 'admin' });
			const adminCaller = await callerFor(await signIn(admin));
			const listed = await adminCaller.apiTokens.listFor({ userId: owner.user.id });
			expect(listed.map((row) => row.id)).toEqual([owner.id]);
			await adminCaller.apiTokens.revokeFor({ id: owner.id });
			expect(await (await callerFor(owner.token)).auth.me()).toBeNull();
		});

		it('an expired token is UNAUTHORIZED', async () => {
			const user = await seedUser(api.db);
			const { token } = await newToken(await signIn(user), ['read'], 1);
			advanceClock(DAY - MINUTE);
			expect(await (await callerFor(token)).users.get({ id: user.id })).toMatchObject({
				id: user.id
			});
			advanceClock(2 * MINUTE);
			expect((await errorOf((await callerFor(token)).users.get({ id: user.id }))).code).toBe(
				'UNAUTHORIZED'
			);
		});

		it('deactivating the user deletes their tokens; reactivating brings none back', async () => {
			const { user, token } = await userWithToken();
			const admin = await seedUser(api.db, { role: 'admin' });
			const adminCaller = await callerFor(await signIn(admin));
			await adminCaller.users.setActive({ ids: [user.id], active: false });
			expect(await (await callerFor(token)).auth.me()).toBeNull();
			await adminCaller.users.setActive({ ids: [user.id], active: true });
			expect(await (await callerFor(token)).auth.me()).toBeNull();
			expect((await footprint(user.id)).apiTokens).toBe(0);
		});

		it('changing the password kills them unless the user keeps them', async () => {
			const kept = await userWithToken();
			await (
				await callerFor(kept.session)
			).account.changePassword({
				current: kept.user.password,
				next: 'another long password',
				revokeApiTokens: false
			});
			expect(await (await callerFor(kept.token)).auth.me()).not.toBeNull();

			const killed = await userWithToken();
			await (
				await callerFor(killed.session)
			).account.changePassword({ current: killed.user.password, next: 'another long password' });
			expect(await (await callerFor(killed.token)).auth.me()).toBeNull();
			expect(
				(await auditEvents('api_token.revoked', killed.user.id)).map((entry) => entry.details)
			).toEqual(['all=1 (password changed)']);
		});

		it('an admin setting the password kills them', async () => {
			const { user, token } = await userWithToken();
			const admin = await seedUser(api.db, { role: 'admin' });
			await (
				await callerFor(await signIn(admin))
			).users.setPassword({ id: user.id, password: 'set by the admin' });
			expect(await (await callerFor(token)).auth.me()).toBeNull();
		});
	});

	describe('last use is recorded at most once a minute, and the first use is audited once', () => {
		it('writes last_used_at and the address at most once a minute', async () => {
			const { id, token } = await userWithToken();
			expect((await tokenRow(id)).last_used_at).toBeNull();

			await callerFor(token, { ip: '198.51.100.1' });
			const first = await tokenRow(id);
			expect(Number(first.last_used_at)).toBeGreaterThan(0);
			expect(first.last_used_ip).toBe('198.51.100.1');

			advanceClock(30_000);
			await callerFor(token, { ip: '198.51.100.2' });
			expect(await tokenRow(id)).toEqual(first);

			advanceClock(31_000);
			await callerFor(token, { ip: '198.51.100.3' });
			const later = await tokenRow(id);
			expect(Number(later.last_used_at)).toBe(Date.now());
			expect(later.last_used_ip).toBe('198.51.100.3');
		});

		it('audits the first use exactly once, even when requests race', async () => {
			const { user, token } = await userWithToken();
			await Promise.all(Array.from({ length: 5 }, () => callerFor(token, { ip: '198.51.100.9' })));
			advanceClock(2 * MINUTE);
			await callerFor(token);
			const entries = await auditEvents('api_token.first_used', user.id);
			expect(entries).toEqual([
				{
					event: 'api_token.first_used',
					actor_id: user.id,
					ip: '198.51.100.9',
					details: `token=${token.slice(0, 8)}`
				}
			]);
		});
	});
});
