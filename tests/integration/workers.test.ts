// `npm start` with WEB_CONCURRENCY=2 (server/start.js, server/primary.js): two worker processes
// on one port behave as one server. The once-per-start work runs once; connections land on both
// workers; a throttle, a sign-in and a step-up hold across them (everything lives in the
// database); a killed worker is replaced; SIGTERM drains and the primary exits 0. Which worker
// answered is told by a header that a test-only module (loaded with --import) adds: the product
// has no such switch. On SQLite the two processes share one WAL file; on MariaDB one database.
import { execFileSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getPolicy } from '$lib/server/auth/policy';
import { SERVER_NODE_FLAGS } from '../../server/node-settings.js';
import { MAX_WEB_CONCURRENCY } from '../../server/start.js';
import { startAppServer, type AppServer } from '../../tools/app-server';
import { createTestDatabase, dialects, type TestDatabase } from '../../tools/databases';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';
import { startSmtpSink, type SmtpSink } from '../../tools/smtp-sink';
import {
	sendOnNewConnection,
	WORKER_PID_HEADER_MODULE,
	WorkerClient,
	workerPids
} from '../helpers/worker-client';

const policy = getPolicy();
const MINUTE = 60_000;
/** Short, so the request that never finishes (last test) is cut off soon. */
const SHUTDOWN_TIMEOUT_SECONDS = 3;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const count = (text: string, part: string) => text.split(part).length - 1;

describe.each(dialects)('npm start with two workers on %s', (dialect) => {
	let database: TestDatabase;
	let sink: SmtpSink;
	let server: AppServer;
	/** A client on each worker: [first, second]. */
	let on: [WorkerClient, WorkerClient];

	beforeAll(async () => {
		// Empty: the server migrates it as it starts (MIGRATE_ON_START=true).
		database = await createTestDatabase(dialect);
		sink = await startSmtpSink();
		server = await startAppServer(
			{
				DATABASE_URL: database.url,
				MAIL_TRANSPORT: 'smtp',
				SMTP_URL: sink.url,
				MIGRATE_ON_START: 'true',
				WEB_CONCURRENCY: '2',
				SHUTDOWN_TIMEOUT: String(SHUTDOWN_TIMEOUT_SECONDS)
			},
			{ nodeArgs: ['--import', WORKER_PID_HEADER_MODULE] }
		);
		await vi.waitFor(() => expect(server.output()).toContain('2 workers listening'), {
			timeout: 30_000,
			interval: 100
		});
		const [first, second] = workerPids(server);
		on = [
			await WorkerClient.on(server.origin, first!),
			await WorkerClient.on(server.origin, second!)
		];
	}, 60_000);
	afterAll(async () => {
		for (const client of on ?? []) client.close();
		// The sink first: it closes the workers' pooled SMTP connections, so they stop at once.
		await sink?.stop();
		await server?.stop();
		await database?.drop();
	});

	/** The password step on one worker: the pending bearer token and the emailed code. */
	async function startSignIn(user: SeededUser, client: WorkerClient) {
		const login = await client.mutation('auth.login', {
			username: user.username,
			password: user.password,
			tokenType: 'bearer'
		});
		expect(login.status).toBe(200);
		const { code } = await waitForCode(sink, user.email!);
		return { pending: (login.data as { sessionToken: string }).sessionToken, code };
	}

	/** Password on the first worker, code on the second: a verified bearer token. */
	async function signIn(user: SeededUser): Promise<string> {
		const { pending, code } = await startSignIn(user, on[0]);
		const verified = await on[1].mutation('auth.verifyOtp', { code }, bearer(pending));
		expect(verified.status).toBe(200);
		return (verified.data as { sessionToken: string }).sessionToken;
	}

	it('starts two workers with the Node settings; only the first migrates, and the setup link is printed once', async () => {
		expect(workerPids(server)).toHaveLength(2);
		expect(new Set(on.map((client) => client.pid)).size).toBe(2);
		expect(childrenOf(server.pid).sort()).toEqual(workerPids(server).sort());
		for (const pid of workerPids(server)) {
			expect(commandLineOf(pid).split(' ')).toEqual(expect.arrayContaining([...SERVER_NODE_FLAGS]));
		}
		const output = server.output();
		expect(count(output, '[server] worker 1 (pid')).toBe(1);
		expect(count(output, 'applied migration 20261129120000_create_users_and_sessions')).toBe(1);
		expect(count(output, '[setup] No users yet')).toBe(1);
		// The second worker did not open a setup link of its own either.
		const tokens = await database.db.selectFrom('setup_tokens').select('token_hash').execute();
		expect(tokens).toHaveLength(1);
	});

	it('hands new connections to both workers', async () => {
		const answered = new Set<number>();
		for (let i = 0; i < 20 && answered.size < 2; i++) {
			const reply = await sendOnNewConnection(server.origin, '/login');
			expect(reply.status).toBe(200);
			answered.add(reply.pid);
		}
		expect([...answered].sort()).toEqual(workerPids(server).sort());
	});

	it('wrong passwords alternating between the workers [TOO_MANY_REQUESTS at the same count as on one]', async () => {
		const user = await seedUser(database.db);
		const limit = policy.login.perUsernameAndAddress;

		const outcomes: Array<string | undefined> = [];
		for (let i = 0; i <= limit; i++) {
			const login = await on[i % 2]!.mutation('auth.login', {
				username: user.username,
				password: 'not the password',
				tokenType: 'bearer'
			});
			outcomes.push(login.errorCode);
		}

		expect(outcomes).toEqual([...Array<string>(limit).fill('UNAUTHORIZED'), 'TOO_MANY_REQUESTS']);
	});

	it('password on one worker, the emailed code on the other [verified; the session works on both]', async () => {
		const user = await seedUser(database.db);
		const { pending, code } = await startSignIn(user, on[0]);

		const verified = await on[1].mutation('auth.verifyOtp', { code }, bearer(pending));

		expect(verified.status).toBe(200);
		const token = (verified.data as { status: string; sessionToken: string }).sessionToken;
		for (const client of on) {
			expect((await client.query('account.sessions', undefined, bearer(token))).status).toBe(200);
		}
	});

	it('a step-up requested on one worker and confirmed on the other lets a sensitive change through on the first', async () => {
		const user = await seedUser(database.db);
		const token = await signIn(user);
		// The sign-in's own code is stale: a sensitive change needs a fresh one.
		await database.db
			.updateTable('sessions')
			.set({ verified_at: Date.now() - 11 * MINUTE })
			.where('user_id', '=', user.id)
			.execute();
		const create = () =>
			on[0].mutation(
				'apiTokens.create',
				{ name: 'report', scopes: ['read'], expiresInDays: 30 },
				bearer(token)
			);
		expect((await create()).errorCode).toBe('FORBIDDEN');

		expect((await on[0].mutation('auth.stepUp.request', undefined, bearer(token))).status).toBe(
			200
		);
		const { code } = await waitForCode(sink, user.email!);
		const confirmed = await on[1].mutation('auth.stepUp.verify', { code }, bearer(token));
		expect(confirmed.status).toBe(200);

		expect((await create()).status).toBe(200);
	});

	it('a worker killed with SIGKILL is replaced; the other answers meanwhile', async () => {
		const [killed, survivor] = on;
		process.kill(killed.pid, 'SIGKILL');
		await expect
			.poll(() => server.output())
			.toContain(`(pid ${killed.pid}) exited with signal SIGKILL: starting another`);

		// Until the new one listens, every new connection goes to the survivor.
		expect((await sendOnNewConnection(server.origin, '/login')).status).toBe(200);
		expect((await survivor.get('/login')).status).toBe(200);
		await expect.poll(() => workerPids(server), { timeout: 30_000 }).toHaveLength(2);
		const replacement = workerPids(server).find((pid) => pid !== survivor.pid)!;
		expect(replacement).not.toBe(killed.pid);
		const client = await WorkerClient.on(server.origin, replacement);
		expect((await client.get('/login')).status).toBe(200);
		on = [client, survivor];
		killed.close();
	});

	it('SIGTERM: a request under way completes, one that never ends is cut at SHUTDOWN_TIMEOUT, and the primary exits 0', async () => {
		const user = await seedUser(database.db);
		const port = Number(new URL(server.origin).port);
		// Both requests are under way: the worker has read their headers (it answered
		// "100 Continue") and waits for the rest of the body.
		const body = JSON.stringify({
			json: { username: user.username, password: user.password, tokenType: 'bearer' }
		});
		const finishing = await startRequest(port, body);
		const hanging = await startRequest(port, body);

		process.kill(server.pid, 'SIGTERM');
		// Both workers have closed their listening side: new connections are refused.
		await expect.poll(() => connectionRefused(port), { timeout: 20_000 }).toBe(true);
		finishing.socket.write(body.slice(finishing.sent));

		const answer = await finishing.response;
		expect(answer).toMatch(/^HTTP\/1\.1 200 /m);
		expect(answer).toContain('"otp_required"');
		// The other never finishes its body: the worker closes it at SHUTDOWN_TIMEOUT and exits.
		expect(await hanging.response).not.toMatch(/^HTTP\/1\.1 200 /m);
		await expect
			.poll(() => server.exitStatus(), { timeout: 20_000 })
			.toEqual({ code: 0, signal: null });
		expect(server.output()).toContain('[server] SIGTERM');
		expect(server.output()).not.toContain('still running: killed');
	}, 40_000);
});

describe('npm start with WEB_CONCURRENCY=1', () => {
	let database: TestDatabase;
	beforeAll(async () => {
		database = await createTestDatabase('sqlite');
	});
	afterAll(() => database?.drop());

	it('runs the app in one process, restarted in place with the Node settings: no primary, no child', async () => {
		const server = await startAppServer({ DATABASE_URL: database.url, WEB_CONCURRENCY: '1' });
		try {
			expect((await fetch(server.origin + '/login')).status).toBe(200);
			expect(childrenOf(server.pid)).toEqual([]);
			expect(commandLineOf(server.pid).split(' ')).toEqual(
				expect.arrayContaining([...SERVER_NODE_FLAGS])
			);
			expect(server.output()).not.toContain('[server]');
		} finally {
			await server.stop();
		}
		expect(server.exitStatus()).toEqual({ code: 0, signal: null });
	});

	it('a WEB_CONCURRENCY that is not a number of workers stops the server with one line', async () => {
		const failure = await startAppServer({
			DATABASE_URL: database.url,
			WEB_CONCURRENCY: 'all'
		}).then(
			() => null,
			(error: Error) => error.message
		);
		expect(failure).toContain('server exited with code 1');
		expect(failure).toContain(
			`[server] WEB_CONCURRENCY: expected a whole number of worker processes from 1 to` +
				` ${MAX_WEB_CONCURRENCY}, got "all"`
		);
	});
});

/** Process ids whose parent is `pid` (`ps`: Linux and macOS alike). */
function childrenOf(pid: number): number[] {
	return execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' })
		.trim()
		.split('\n')
		.map((line) => line.trim().split(/\s+/).map(Number))
		.filter(([, parent]) => parent === pid)
		.map(([child]) => child!);
}

function commandLineOf(pid: number): string {
	return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
}

interface StartedRequest {
	socket: Socket;
	/** How much of the body was sent. */
	sent: number;
	/** Everything the server sent after "100 Continue", once it closes the connection. */
	response: Promise<string>;
}

/** POST /trpc/auth.login with half its body sent, once the server has read the headers. */
function startRequest(port: number, body: string): Promise<StartedRequest> {
	return new Promise((resolvePromise, reject) => {
		const socket = connect(port, '127.0.0.1');
		const sent = Math.floor(body.length / 2);
		let received = '';
		let continued = false;
		const response = new Promise<string>((done) => socket.on('close', () => done(received)));
		socket.setEncoding('utf8');
		socket.on('error', () => {}); // a reset at SHUTDOWN_TIMEOUT is one of the outcomes
		socket.on('data', (chunk: string) => {
			if (continued) {
				received += chunk;
				return;
			}
			if (!chunk.startsWith('HTTP/1.1 100 Continue')) {
				reject(new Error(`expected 100 Continue, got ${chunk}`));
				return;
			}
			continued = true;
			received += chunk.slice(chunk.indexOf('\r\n\r\n') + 4);
			socket.write(body.slice(0, sent));
			resolvePromise({ socket, sent, response });
		});
		socket.write(
			'POST /trpc/auth.login HTTP/1.1\r\n' +
				`Host: 127.0.0.1:${port}\r\n` +
				'Content-Type: application/json\r\n' +
				`Content-Length: ${Buffer.byteLength(body)}\r\n` +
				'Expect: 100-continue\r\n\r\n'
		);
	});
}

function connectionRefused(port: number): Promise<boolean> {
	return new Promise((resolvePromise) => {
		const socket = connect(port, '127.0.0.1');
		socket.once('connect', () => {
			socket.destroy();
			resolvePromise(false);
		});
		socket.once('error', () => resolvePromise(true));
	});
}
