// Faults in the database. On each dialect: a connection that dies in the middle of a promotion or
// of an audited change must leave nothing half-done (in-process callers; the dying connection is
// a Kysely plugin, helpers/db-faults.ts). On MariaDB: the database going away under the
// production build, behind a TCP proxy the test cuts, hangs and restores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '$lib/server/auth/crypto';
import { verifyPassword } from '$lib/server/auth/password';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import type { AuditEvent } from '$lib/server/services/audit';
import { errorOf, useApiHarness } from '../helpers/api-harness';
import { startAppServer, type AppServer } from '../../tools/app-server';
import { createMigratedDatabase, dialects, type TestDatabase } from '../../tools/databases';
import { dieAfter, type Statement } from '../helpers/db-faults';
import { signInOverHttp } from '../helpers/http-sign-in';
import { seedUser, type CookieJar } from '../../tools/sign-in';
import { startSmtpSink, type SmtpSink } from '../../tools/smtp-sink';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

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
				const [token] = await insertBackupTokens(api.db, user.id, 1);
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

// Embedded SQLite is a file inside the app's own process: it cannot go down or hang on its own,
// so these run on MariaDB only.
describe.each(dialects.filter((dialect) => dialect === 'mysql'))(
	'Faults: the database goes away while sessions are checked (%s)',
	(dialect) => {
		// The server's bounds (create-db.ts): 5 s for a connection, 10 s for a statement; plus margin.
		const ANSWER_WITHIN_MS = 20_000;
		// Driver or network details that must stay in the server log.
		const INTERNALS = /\n\s+at |ECONN|PROTOCOL_|ETIMEDOUT|3306|mysql|kysely|timeout/i;

		let database: TestDatabase;
		let proxy: TcpProxy;
		let sink: SmtpSink;
		let app: AppServer;
		/** Signed in (verified) before the faults begin. */
		let jar: CookieJar;
		let username: string;

		beforeAll(async () => {
			database = await createMigratedDatabase(dialect);
			const url = new URL(database.url);
			proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 3306) });
			url.host = `127.0.0.1:${proxy.port}`;
			sink = await startSmtpSink();
			app = await startAppServer({
				DATABASE_URL: url.toString(),
				MAIL_TRANSPORT: 'smtp',
				SMTP_URL: sink.url
			});
			const user = await seedUser(database.db);
			username = user.username;
			jar = (await signInOverHttp(app.origin, sink, user, { transport: 'cookie' })).jar;
		});
		afterAll(async () => {
			await app?.stop();
			await proxy?.close();
			await sink?.stop();
			await database?.drop();
		});

		/** GET with the verified cookie; a request still unanswered after the bound fails the test. */
		async function get(path: string) {
			const response = await fetch(app.origin + path, {
				headers: { cookie: jar.header()!, accept: 'text/html' },
				redirect: 'manual',
				signal: AbortSignal.timeout(ANSWER_WITHIN_MS)
			});
			return { path, status: response.status, body: await response.text(), response };
		}

		/** A query procedure, a page, and "who am I", all at once. */
		const requests = () =>
			Promise.all([get('/trpc/account.sessions'), get('/'), get('/trpc/auth.me')]);

		function expectFailClosed(replies: Awaited<ReturnType<typeof requests>>): void {
			for (const reply of replies) {
				expect(reply.status, reply.path).toBe(503);
				expect(reply.body).not.toContain(username);
				expect(reply.body).not.toMatch(INTERNALS);
				// The session may well be fine: the cookie is not cleared.
				expect(reply.response.headers.getSetCookie()).toEqual([]);
			}
			const [trpc, page, me] = replies;
			expect(JSON.parse(trpc!.body)).toMatchObject({
				error: { json: { data: { code: 'SERVICE_UNAVAILABLE', httpStatus: 503 } } }
			});
			expect(page!.body).toMatch(/unavailable/i);
			// Not `null` ("signed out"): the server cannot tell, and says so.
			expect(JSON.parse(me!.body)).not.toHaveProperty('result');
		}

		/** The app reconnects by itself; the first request or two may still meet a dying connection. */
		async function expectRecovered(): Promise<void> {
			let replies = await requests();
			for (let attempt = 1; attempt < 10 && replies.some((r) => r.status !== 200); attempt++) {
				await new Promise((resolve) => setTimeout(resolve, 500));
				replies = await requests();
			}
			for (const reply of replies) expect(reply.status, reply.path).toBe(200);
			expect(replies[0]!.body).toContain('"current":true');
			expect(replies[1]!.body).toContain(username);
		}

		it('verified cookie before any fault [a query, a page and auth.me answer 200]', async () => {
			await expectRecovered();
		});

		it('connections cut and refused [503 for a query, a page and auth.me; no account data; cookie kept]', async () => {
			proxy.cut();
			expectFailClosed(await requests());
			expect(app.output()).toMatch(/\[db\] session not checked/);
		});

		it('database back after the cut [the same cookie works again, no restart]', async () => {
			proxy.restore();
			await expectRecovered();
		});

		it('database accepts connections and never answers [503 within 20 s, on pooled and on new connections; none hangs]', async () => {
			proxy.hang();
			// The pool's open connections: each statement is given up after its timeout.
			expectFailClosed(await requests());
			expect(app.output()).toMatch(/session not checked: The database stopped answering/);
			// Those are closed now; new ones never finish their handshake: the acquire timeout.
			expectFailClosed(await requests());
			expect(app.output()).toMatch(/session not checked: No database connection within/);
		});

		it('database back after the hang [the same cookie works again, no restart]', async () => {
			proxy.restore();
			await expectRecovered();
		});
	}
);
