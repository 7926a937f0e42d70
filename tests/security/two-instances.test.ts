// Two `node build` processes on one database, as behind a load balancer: whatever one instance
// decides (a code verified, a try counted, a lock, a revocation) the other must see at once,
// because it lives in the database and never in a process's memory.
//
// MariaDB only: scaling out means instances on several machines, and those share a network
// database. Two processes could share one SQLite file on one machine, but that proves nothing
// about the deployment this file stands for. Under CI MYSQL_URL is always set (.ci/run).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPolicy } from '$lib/server/auth/policy';
import { startAppServer, type AppServer } from '../../tools/app-server';
import { createTestDatabase, mysqlBaseUrl, type TestDatabase } from '../../tools/databases';
import {
	seedUser,
	trpcMutation,
	trpcQuery,
	waitForCode,
	type SeededUser,
	type TrpcReply
} from '../../tools/sign-in';
import { startSmtpSink, type SmtpSink } from '../../tools/smtp-sink';

const policy = getPolicy();

if (!mysqlBaseUrl()) {
	console.warn(
		'\n*** NOT RUN: tests/security/two-instances.test.ts needs MariaDB/MySQL. ' +
			'Set MYSQL_URL=mysql://root@127.0.0.1:3306/test to run it. ***\n'
	);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A code of the right length that is not `code`. */
const wrongCode = (code: string) => (code[0] === '1' ? '2' : '1').repeat(code.length);

describe.runIf(mysqlBaseUrl())('two instances on one MariaDB database', () => {
	let database: TestDatabase;
	let sink: SmtpSink;
	let a: AppServer;
	let b: AppServer;

	beforeAll(async () => {
		// An empty database: instance A migrates it as it starts, then B starts on the result.
		database = await createTestDatabase('mysql');
		sink = await startSmtpSink();
		const env = { DATABASE_URL: database.url, MAIL_TRANSPORT: 'smtp', SMTP_URL: sink.url };
		a = await startAppServer({ ...env, MIGRATE_ON_START: 'true' });
		b = await startAppServer({ ...env, MIGRATE_ON_START: 'false' });
	});
	afterAll(async () => {
		// The sink first: it closes the apps' pooled SMTP connections, so both stop at once.
		await sink?.stop();
		await Promise.all([a?.stop(), b?.stop()]);
		await database?.drop();
	});

	/** The password step on one instance: the pending token and the emailed code. */
	async function startSignIn(
		user: SeededUser,
		on: AppServer
	): Promise<{ pending: string; code: string }> {
		const login = await trpcMutation<{ sessionToken: string }>(on.origin, 'auth.login', {
			input: { username: user.username, password: user.password, tokenType: 'bearer' }
		});
		expect(login.status).toBe(200);
		const { code } = await waitForCode(sink, user.email!);
		return { pending: login.data!.sessionToken, code };
	}

	function verifyOtp(on: AppServer, pending: string, code: string) {
		return trpcMutation<{ status: string; sessionToken: string }>(on.origin, 'auth.verifyOtp', {
			input: { code },
			headers: bearer(pending)
		});
	}

	/** Password on A, code on B: a verified bearer session. */
	async function signIn(user: SeededUser): Promise<string> {
		const { pending, code } = await startSignIn(user, a);
		const verified = await verifyOtp(b, pending, code);
		expect(verified.status).toBe(200);
		return verified.data!.sessionToken;
	}

	function ownSessions(on: AppServer, token: string) {
		return trpcQuery<{ sessions: Array<{ publicId: string; current: boolean }> }>(
			on.origin,
			'account.sessions',
			{ headers: bearer(token) }
		);
	}

	const outcome = (reply: TrpcReply<unknown>) => reply.error?.code ?? reply.status;

	it('password on instance A, code on instance B [verified]', async () => {
		const user = await seedUser(database.db);
		const { pending, code } = await startSignIn(user, a);

		const verified = await verifyOtp(b, pending, code);

		expect(verified.status).toBe(200);
		expect(verified.data!.status).toBe('verified');
		expect((await ownSessions(a, verified.data!.sessionToken)).status).toBe(200);
		expect((await ownSessions(b, verified.data!.sessionToken)).status).toBe(200);
	});

	it('wrong codes alternating between A and B [TOO_MANY_REQUESTS at the same count as on one instance]', async () => {
		const user = await seedUser(database.db);
		const { pending, code } = await startSignIn(user, a);
		const guesses = policy.otp.backoffAfterFailures + 1;

		const outcomes: Array<string | number> = [];
		for (let i = 0; i < guesses; i++) {
			outcomes.push(outcome(await verifyOtp(i % 2 === 0 ? a : b, pending, wrongCode(code))));
		}

		// One instance alone would answer exactly this: the backoff starts after the fifth failure.
		expect(outcomes).toEqual([
			...Array<string>(policy.otp.backoffAfterFailures).fill('UNAUTHORIZED'),
			'TOO_MANY_REQUESTS'
		]);
	});

	it('wrong passwords alternating between A and B [TOO_MANY_REQUESTS at the same count as on one instance]', async () => {
		const user = await seedUser(database.db);
		const limit = policy.login.perUsernameAndAddress;

		const outcomes: Array<string | number> = [];
		let last: TrpcReply<unknown> | undefined;
		for (let i = 0; i <= limit; i++) {
			last = await trpcMutation(i % 2 === 0 ? a.origin : b.origin, 'auth.login', {
				input: { username: user.username, password: 'not the password', tokenType: 'bearer' }
			});
			outcomes.push(outcome(last));
		}

		expect(outcomes).toEqual([...Array<string>(limit).fill('UNAUTHORIZED'), 'TOO_MANY_REQUESTS']);
		// The wait is in a header too, for proxies and clients that do not read tRPC's body.
		expect(last!.headers.get('retry-after')).toBe(String(last!.error!.data!.retryAfter));
	});

	it('the 100th wrong code on A, then the right code on B [403 FORBIDDEN: the account is locked for both]', async () => {
		const user = await seedUser(database.db);
		await database.db
			.updateTable('users')
			.set({ otp_failures: policy.otp.lockAfterFailures - 1 })
			.where('id', '=', user.id)
			.execute();
		const { pending, code } = await startSignIn(user, a);

		expect(outcome(await verifyOtp(a, pending, wrongCode(code)))).toBe('UNAUTHORIZED');
		const onB = await verifyOtp(b, pending, code);

		expect(onB.status).toBe(403);
		expect(onB.error!.code).toBe('FORBIDDEN');
		expect(onB.error!.message).toMatch(/locked/);
	});

	it('logout on A, then the same session on B [401 UNAUTHORIZED]', async () => {
		const user = await seedUser(database.db);
		const token = await signIn(user);
		expect((await ownSessions(b, token)).status).toBe(200);

		const logout = await trpcMutation(a.origin, 'auth.logout', { headers: bearer(token) });
		expect(logout.status).toBe(200);

		expect(outcome(await ownSessions(b, token))).toBe('UNAUTHORIZED');
	});

	it('an admin revokes a session on A, then it calls B [401 UNAUTHORIZED]', async () => {
		const admin = await seedUser(database.db, { role: 'admin' });
		const member = await seedUser(database.db);
		const adminToken = await signIn(admin);
		const memberToken = await signIn(member);
		const before = await ownSessions(b, memberToken);
		const publicId = before.data!.sessions.find((session) => session.current)!.publicId;

		const revoke = await trpcMutation(a.origin, 'sessions.revoke', {
			input: { publicId },
			headers: bearer(adminToken)
		});
		expect(revoke.status).toBe(200);

		expect(outcome(await ownSessions(b, memberToken))).toBe('UNAUTHORIZED');
		expect((await ownSessions(b, adminToken)).status).toBe(200);
	});

	it('an API token revoked on A, then used on B [401 UNAUTHORIZED]', async () => {
		const admin = await seedUser(database.db, { role: 'admin' });
		const session = await signIn(admin);
		const created = await trpcMutation<{ token: string; apiToken: { id: string } }>(
			a.origin,
			'apiTokens.create',
			{
				input: { name: 'report script', scopes: ['read'], expiresInDays: null },
				headers: bearer(session)
			}
		);
		expect(created.status).toBe(200);
		const { token, apiToken } = created.data!;
		const listUsers = () =>
			trpcQuery(b.origin, 'users.list', { input: {}, headers: bearer(token) });
		expect((await listUsers()).status).toBe(200);

		const revoke = await trpcMutation(a.origin, 'apiTokens.revoke', {
			input: { id: apiToken.id },
			headers: bearer(session)
		});
		expect(revoke.status).toBe(200);

		expect(outcome(await listUsers())).toBe('UNAUTHORIZED');
	});

	it('a password change on A, then the other session on B [401 UNAUTHORIZED; the changing session stays]', async () => {
		const user = await seedUser(database.db);
		const changing = await signIn(user);
		const other = await signIn(user);
		expect((await ownSessions(b, other)).status).toBe(200);

		const change = await trpcMutation(a.origin, 'account.changePassword', {
			input: { current: user.password, next: 'a brand new password 42' },
			headers: bearer(changing)
		});
		expect(change.status).toBe(200);

		expect(outcome(await ownSessions(b, other))).toBe('UNAUTHORIZED');
		expect((await ownSessions(b, changing)).status).toBe(200);
	});
});
