// Faults in the database, on each dialect: a connection that dies in the middle of a promotion or
// of an audited change must leave nothing half-done (in-process callers; the dying connection is
// a Kysely plugin, helpers/db-faults.ts).
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '$lib/server/auth/crypto';
import { verifyPassword } from '$lib/server/auth/password';
import { mintStaticTokens } from '$lib/server/auth/static-tokens';
import type { AuditEvent } from '$lib/server/services/audit';
import { errorOf, useApiHarness } from '../helpers/api-harness';
import { dialects } from '../helpers/databases';
import { dieAfter, type Statement } from '../helpers/db-faults';
import { seedUser } from '../helpers/sign-in';

const NEW_PASSWORD = 'an entirely new passphrase';

describe.each(dialects)('Faults: a database connection dies (%s)', (dialect) => {
	const api = useApiHarness(dialect);
	const { callerFor, isValid, signIn, startSignIn } = api;

	/** The states of a user's sessions, sorted: ['pending_otp'], ['verified'], ... */
	async function sessionStates(userId: string): Promise<string[]> {
		const rows = await api.db
			.selectFrom('sessions')
			.select('state')
			.where('user_id', '=', userId)
			.execute();
		return rows.map((row) => row.state).sort();
	}

	async function auditRows(event: AuditEvent, actorId: string): Promise<number> {
		const rows = await api.db
			.selectFrom('audit_log')
			.select('id')
			.where('event', '=', event)
			.where('actor_id', '=', actorId)
			.execute();
		return rows.length;
	}

	/** A caller whose procedures' connection dies right after `statement`; the fault must fire. */
	async function dyingCaller(token: string, statement: Statement) {
		const fault = dieAfter(api.database, statement);
		const caller = await callerFor(token, { db: api.db.withPlugin(fault.plugin) });
		return { caller, fired: () => fault.fired };
	}

	describe('between consuming a code and promoting the session', () => {
		const STEPS: Array<[string, Statement]> = [
			['after the code is consumed', { verb: 'delete', table: 'email_otps' }],
			['after the pending session is deleted', { verb: 'delete', table: 'sessions' }],
			['after the verified session is inserted', { verb: 'insert', table: 'sessions' }],
			['after the audit row is written', { verb: 'insert', table: 'audit_log' }]
		];

		it.each(STEPS)(
			'emailed code: connection killed %s [rolled back: still pending; the code works exactly once]',
			async (_, statement) => {
				const user = await seedUser(api.db);
				const { pending, code } = await startSignIn(user);

				const dying = await dyingCaller(pending, statement);
				const failed = await errorOf(dying.caller.auth.verifyOtp({ code }));
				expect(dying.fired()).toBe(true);
				expect(failed.code).toBe('INTERNAL_SERVER_ERROR');
				expect(await sessionStates(user.id)).toEqual(['pending_otp']);
				expect(await auditRows('otp.verified', user.id)).toBe(0);

				const verified = await (await callerFor(pending)).auth.verifyOtp({ code });
				expect(await isValid(verified.sessionToken!)).toBe(true);
				expect(await sessionStates(user.id)).toEqual(['verified']);
				const replay = await errorOf((await callerFor(pending)).auth.verifyOtp({ code }));
				expect(replay.code).toBe('UNAUTHORIZED');
				expect(await sessionStates(user.id)).toEqual(['verified']);
			}
		);

		it.each(STEPS.filter(([, statement]) => statement.table !== 'email_otps'))(
			'backup token: connection killed %s [rolled back: still pending; the token works exactly once]',
			async (_, statement) => {
				const user = await seedUser(api.db);
				const [token] = await mintStaticTokens(api.db, user.id, 1);
				const { pending } = await startSignIn(user);

				const dying = await dyingCaller(pending, statement);
				const failed = await errorOf(dying.caller.auth.verifyOtp({ code: token! }));
				expect(dying.fired()).toBe(true);
				expect(failed.code).toBe('INTERNAL_SERVER_ERROR');
				expect(await sessionStates(user.id)).toEqual(['pending_otp']);

				const verified = await (await callerFor(pending)).auth.verifyOtp({ code: token! });
				expect(await isValid(verified.sessionToken!)).toBe(true);
				// Spent now: refused from another pending session of the same account.
				const { pending: another } = await startSignIn(user);
				const replay = await errorOf((await callerFor(another)).auth.verifyOtp({ code: token! }));
				expect(replay.code).toBe('UNAUTHORIZED');
				expect(await sessionStates(user.id)).toEqual(['pending_otp', 'verified']);
			}
		);
	});

	interface AuditedChange {
		name: string;
		event: AuditEvent;
		/** The change's own write, and what it is called in the test title. */
		write: Statement;
		writeName: string;
		/** What "neither exists" means for this change, for the title. */
		undone: string;
		/** Sets the change up; `act` makes it through the given caller factory. */
		arrange(): Promise<{
			actorId: string;
			token: string;
			act(caller: Awaited<ReturnType<typeof callerFor>>): Promise<unknown>;
			/** True when any part of the change is visible in the database. */
			happened(): Promise<boolean>;
		}>;
	}

	const CHANGES: AuditedChange[] = [
		{
			name: 'sign-in promotion',
			event: 'otp.verified',
			write: { verb: 'insert', table: 'sessions' },
			writeName: 'the verified session insert',
			undone: 'still pending',
			async arrange() {
				const user = await seedUser(api.db);
				const { pending, code } = await startSignIn(user);
				return {
					actorId: user.id,
					token: pending,
					act: (caller) => caller.auth.verifyOtp({ code }),
					happened: async () => (await sessionStates(user.id)).includes('verified')
				};
			}
		},
		{
			name: 'password change',
			event: 'password.changed',
			write: { verb: 'update', table: 'users' },
			writeName: 'the password update',
			undone: 'old password and other sessions kept',
			async arrange() {
				const user = await seedUser(api.db);
				const [token, other] = [await signIn(user), await signIn(user)];
				return {
					actorId: user.id,
					token,
					act: (caller) =>
						caller.account.changePassword({ current: user.password, next: NEW_PASSWORD }),
					async happened() {
						const row = await api.db
							.selectFrom('users')
							.select('password_hash')
							.where('id', '=', user.id)
							.executeTakeFirstOrThrow();
						return (
							(await verifyPassword(row.password_hash, NEW_PASSWORD)) || !(await isValid(other))
						);
					}
				};
			}
		},
		{
			name: 'user creation',
			event: 'user.created',
			write: { verb: 'insert', table: 'users' },
			writeName: 'the user insert',
			undone: 'no user',
			async arrange() {
				const admin = await seedUser(api.db, { role: 'admin' });
				const username = `new-${admin.username}`;
				return {
					actorId: admin.id,
					token: await signIn(admin),
					act: (caller) =>
						caller.users.create({
							username,
							email: `${username}@example.com`,
							role: 'member',
							password: NEW_PASSWORD
						}),
					happened: async () =>
						(await api.db
							.selectFrom('users')
							.select('id')
							.where('username', '=', username)
							.executeTakeFirst()) !== undefined
				};
			}
		},
		{
			name: 'API token creation',
			event: 'api_token.created',
			write: { verb: 'insert', table: 'api_tokens' },
			writeName: 'the token insert',
			undone: 'no token',
			async arrange() {
				const user = await seedUser(api.db);
				return {
					actorId: user.id,
					token: await signIn(user),
					act: (caller) =>
						caller.apiTokens.create({ name: 'ci', scopes: ['read'], expiresInDays: 30 }),
					happened: async () =>
						(await api.db
							.selectFrom('api_tokens')
							.select('id')
							.where('user_id', '=', user.id)
							.executeTakeFirst()) !== undefined
				};
			}
		},
		{
			name: 'session revocation',
			event: 'session.revoked',
			write: { verb: 'delete', table: 'sessions' },
			writeName: 'the session delete',
			undone: 'the session still valid',
			async arrange() {
				const user = await seedUser(api.db);
				const [token, other] = [await signIn(user), await signIn(user)];
				const { public_id: publicId } = await api.db
					.selectFrom('sessions')
					.select('public_id')
					.where('id', '=', sha256Hex(other))
					.executeTakeFirstOrThrow();
				return {
					actorId: user.id,
					token,
					act: (caller) => caller.sessions.revoke({ publicId }),
					happened: async () => !(await isValid(other))
				};
			}
		},
		{
			name: 'logout',
			event: 'session.logout',
			write: { verb: 'delete', table: 'sessions' },
			writeName: 'the session delete',
			undone: 'the session still valid',
			async arrange() {
				const user = await seedUser(api.db);
				const token = await signIn(user);
				return {
					actorId: user.id,
					token,
					act: (caller) => caller.auth.logout(),
					happened: async () => !(await isValid(token))
				};
			}
		}
	];

	describe('audit rows are written in the same transaction as their event', () => {
		it.each(CHANGES.map((change) => [change.name, change.undone, change.event, change] as const))(
			'%s: connection killed after its audit row [rolled back: %s; no %s row]',
			async (_name, _undone, _event, change) => {
				const { actorId, token, act, happened } = await change.arrange();
				const dying = await dyingCaller(token, { verb: 'insert', table: 'audit_log' });
				await expect(act(dying.caller)).rejects.toThrow();
				expect(dying.fired()).toBe(true);
				expect(await happened()).toBe(false);
				expect(await auditRows(change.event, actorId)).toBe(0);

				// Without the fault the same call goes through, audited once: the test saw the real path.
				await act(await callerFor(token));
				expect(await happened()).toBe(true);
				expect(await auditRows(change.event, actorId)).toBe(1);
			}
		);

		it.each(
			CHANGES.map(
				(change) => [change.name, change.writeName, change.event, change.undone, change] as const
			)
		)(
			'%s: connection killed after %s [no %s row; %s]',
			async (_name, _write, _event, _undone, change) => {
				const { actorId, token, act, happened } = await change.arrange();
				const dying = await dyingCaller(token, change.write);
				await expect(act(dying.caller)).rejects.toThrow();
				expect(dying.fired()).toBe(true);
				expect(await auditRows(change.event, actorId)).toBe(0);
				expect(await happened()).toBe(false);
			}
		);
	});
});
