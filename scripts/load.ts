// npm run load -- [--seconds 60] [--db sqlite|mysql]
// A bounded load run against the production build (`npm run build` first): wrong logins and
// normal signed-in traffic at once, while a real person signs in. It prints figures, not a
// verdict on speed; it exits non-zero only on a 5xx other than "busy" (the argon2 queue's 503
// with Retry-After, which the flood is meant to draw), a person who could not sign in, or a
// server that died. The last line is `LOAD_RESULT {json}`, for scripts that read the figures.
//
// The server is the production one (`npm start`) in its own process; autocannon drives it from
// this one, over loopback. The server trusts X-Forwarded-For here (ADDRESS_HEADER, as behind a
// proxy), so the load can come from many addresses:
// - "wrong logins": 50 a second, each from a new address and mostly for another name, so the
//   per-address and per-name limits never stop them and every one reaches argon2. This is the
//   expensive flood the argon2 queue cap exists for (busy answers count separately).
// - "one address": wrong logins from a single address, for new names. It starts first and the
//   others once its address limit answers (a few seconds at most), so for the rest of the run
//   the database counter refuses it before argon2: the limits answering cheaply under load.
//   (Started with the flood, its tries would mostly be answered busy, which spends no try.)
// - "signed in": users.list and auth.me with a verified cookie, the traffic that must stay fast.
// The person signs in a quarter of the way in: password, the code from the SMTP sink, verify,
// trying again after a 429 or a busy 503 (Retry-After and up to a second more, at random) until
// the load ends.
import autocannon, { type Options, type Result } from 'autocannon';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startAppServer, type AppServer } from '../tools/app-server';
import { createTestDatabase, mysqlBaseUrl, type TestDatabase } from '../tools/databases';
import {
	CookieJar,
	seedUser,
	trpcMutation,
	trpcQuery,
	waitForCode,
	type SeededUser
} from '../tools/sign-in';
import { startSmtpSink, type SmtpSink } from '../tools/smtp-sink';

const USAGE = 'usage: npm run load -- [--seconds N] [--db sqlite|mysql]';
const WRONG_LOGINS_PER_SECOND = 50;
const ONE_ADDRESS_LOGINS_PER_SECOND = 10;
const SIGNED_IN_REQUESTS_PER_SECOND = 50;
/** Names the flood aims at besides unknown ones (an existing name costs the same argon2 work). */
const TARGET_USERS = 10;
const BUSY_MESSAGE = 'The server is busy';
const PERSON_ADDRESS = '192.0.2.10';
const SIGNED_IN_ADDRESS = '192.0.2.20';
/** Server log lines that mean the database pool failed or timed out. */
const POOL_TROUBLE =
	/pool|ETIMEDOUT|ECONNRESET|PROTOCOL_CONNECTION_LOST|Too many connections|Queue limit|acquire/i;

interface StreamFigures {
	requests: number;
	statusCodes: Record<string, number>;
	/** 503s that were the argon2 queue's busy answer (not counted as server errors). */
	busy: number;
	serverErrors: number;
	clientErrors: number;
	timeouts: number;
	latencyP50Ms: number;
	latencyP99Ms: number;
}

interface PersonFigures {
	signedIn: boolean;
	/** From the first login request to the verified session, retries included. */
	ms: number | null;
	attempts: number;
	/** Status of each request the person sent, in order (a 5xx among them fails the run). */
	statuses: number[];
	/** The login's busy 503s among them, waited out and tried again (not errors). */
	busy: number;
	failure: string | null;
}

export interface LoadResult {
	ok: boolean;
	db: 'sqlite' | 'mysql';
	seconds: number;
	streams: Record<'wrongLogins' | 'oneAddress' | 'signedIn', StreamFigures>;
	person: PersonFigures;
	busy: number;
	serverErrors: number;
	poolErrors: number;
	rssBeforeMb: number | null;
	rssAfterMb: number | null;
	serverAlive: boolean;
}

function parseOptions(): { seconds: number; db: 'sqlite' | 'mysql' } {
	const { values } = parseArgs({
		options: {
			seconds: { type: 'string', default: '60' },
			db: { type: 'string', default: 'sqlite' }
		}
	});
	const seconds = Number(values.seconds);
	if (!Number.isInteger(seconds) || seconds < 5 || seconds > 3600) {
		throw new Error(`--seconds: expected a whole number from 5 to 3600\n${USAGE}`);
	}
	if (values.db !== 'sqlite' && values.db !== 'mysql') {
		throw new Error(`--db: expected sqlite or mysql\n${USAGE}`);
	}
	if (values.db === 'mysql' && !mysqlBaseUrl()) {
		throw new Error(
			'--db mysql needs MYSQL_URL=mysql://user@host:3306/name (a database is created next to it)'
		);
	}
	return { seconds, db: values.db };
}

/** The server process's resident memory in MiB (Linux /proc), or null where there is none. */
function residentMb(pid: number): number | null {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
		return Number.isFinite(kb) ? Math.round(kb / 1024) : null;
	} catch {
		return null;
	}
}

/** A distinct IPv4 address for the n-th request (10.0.0.0/8 has room for 16 million). */
function addressFor(n: number): string {
	return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

function loginBody(username: string): string {
	return JSON.stringify({
		json: { username, password: 'not the password', tokenType: 'bearer' }
	});
}

function runAutocannon(options: Options): Promise<Result> {
	return new Promise((resolve, reject) => {
		autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
	});
}

/**
 * One stream's figures; `busy` is counted from the response bodies as they arrive. Busy answers
 * are 503s by design ("try again in a second"), so they are not server errors.
 */
function figuresOf(result: Result, busy: number): StreamFigures {
	const statusCodes = Object.fromEntries(
		Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])
	);
	return {
		requests: Object.values(statusCodes).reduce((sum, count) => sum + count, 0),
		statusCodes,
		busy,
		serverErrors: result['5xx'] - busy,
		clientErrors: result.errors,
		timeouts: result.timeouts,
		latencyP50Ms: result.latency.p50,
		latencyP99Ms: result.latency.p99
	};
}

/** Wrong logins from a new address each, for existing and unknown names in turn. */
function wrongLogins(server: AppServer, seconds: number, targets: SeededUser[]) {
	let sent = 0;
	let busy = 0;
	const run = runAutocannon({
		url: server.origin,
		// One connection per request a second: up to a second of latency keeps the rate, and more
		// can be in flight than the argon2 queue holds, so its cap shows when the server is slow.
		connections: WRONG_LOGINS_PER_SECOND,
		overallRate: WRONG_LOGINS_PER_SECOND,
		duration: seconds,
		requests: [
			{
				method: 'POST',
				path: '/trpc/auth.login',
				setupRequest(request) {
					const n = sent++;
					const username = n % 2 === 0 ? targets[n % targets.length]!.username : `nobody-${n}`;
					return {
						...request,
						headers: { 'content-type': 'application/json', 'x-forwarded-for': addressFor(n) },
						body: loginBody(username)
					};
				},
				onResponse(status, body) {
					if (status === 503 && body.includes(BUSY_MESSAGE)) busy++;
				}
			}
		]
	});
	return run.then((result) => figuresOf(result, busy));
}

/**
 * Wrong logins from one address, for ever new names: the address limit answers them.
 * `limited` resolves at the first answer from that limit.
 */
function oneAddress(server: AppServer, seconds: number) {
	let sent = 0;
	let busy = 0;
	let onLimited = () => {};
	const limited = new Promise<void>((resolve) => (onLimited = resolve));
	const run = runAutocannon({
		url: server.origin,
		connections: ONE_ADDRESS_LOGINS_PER_SECOND,
		overallRate: ONE_ADDRESS_LOGINS_PER_SECOND,
		duration: seconds,
		requests: [
			{
				method: 'POST',
				path: '/trpc/auth.login',
				setupRequest(request) {
					return {
						...request,
						headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.7' },
						body: loginBody(`one-address-${sent++}`)
					};
				},
				onResponse(status, body) {
					if (status === 503 && body.includes(BUSY_MESSAGE)) busy++;
					else if (status === 429) onLimited();
				}
			}
		]
	});
	return { limited, figures: run.then((result) => figuresOf(result, busy)) };
}

/** users.list and auth.me, in turn, with a verified session cookie. */
function signedIn(server: AppServer, seconds: number, cookie: string) {
	const headers = { cookie, 'x-forwarded-for': SIGNED_IN_ADDRESS };
	const input = encodeURIComponent(JSON.stringify({ json: {} }));
	const run = runAutocannon({
		url: server.origin,
		connections: 10,
		overallRate: SIGNED_IN_REQUESTS_PER_SECOND,
		duration: seconds,
		requests: [
			{ method: 'GET', path: `/trpc/users.list?input=${input}`, headers },
			{ method: 'GET', path: '/trpc/auth.me', headers }
		]
	});
	return run.then((result) => figuresOf(result, 0));
}

/**
 * Retry-After plus up to a second more, at random, as a person (or a well-behaved client) waits.
 * Without it the person is phase-locked with the flood: autocannon's `overallRate` gives each of
 * its connections one request a second on timers started together, so the wrong logins arrive as
 * one burst at the same moment every second, and a retry exactly one second after a busy answer
 * lands in that burst again and again (seen on a slow machine: busy on every try for 15 s).
 */
function retryDelayMs(retryAfterSeconds: number): number {
	return retryAfterSeconds * 1000 + Math.round(Math.random() * 1000);
}

/**
 * What a person does: password, the code from the email, verify, then `auth.me` with the new
 * cookie. A 429 (limited) or a busy 503 is tried again after `retryAfter` and a little more, until
 * `deadline`: while a flood fills the argon2 queue the person competes with it for a place.
 */
async function signInAsPerson(
	server: AppServer,
	sink: SmtpSink,
	user: SeededUser,
	{ address, deadline }: { address: string; deadline: number }
): Promise<{ figures: PersonFigures; cookie: string | null }> {
	const figures: PersonFigures = {
		signedIn: false,
		ms: null,
		attempts: 0,
		statuses: [],
		busy: 0,
		failure: null
	};
	const headers = { origin: server.origin, 'x-forwarded-for': address };
	const jar = new CookieJar();
	const started = performance.now();
	try {
		for (;;) {
			figures.attempts++;
			const login = await trpcMutation(server.origin, 'auth.login', {
				input: { username: user.username, password: user.password, tokenType: 'cookie' },
				headers,
				jar
			});
			figures.statuses.push(login.status);
			if (login.status === 200) break;
			const busy = login.status === 503 && login.error?.message.startsWith(BUSY_MESSAGE);
			if (busy) figures.busy++;
			if ((login.status !== 429 && !busy) || Date.now() >= deadline) {
				throw new Error(`login answered ${login.status} ${login.error?.message ?? ''}`);
			}
			await sleep(retryDelayMs(login.error?.retryAfter ?? 1));
		}
		const { code } = await waitForCode(sink, user.email!, 30_000);
		const verify = await trpcMutation(server.origin, 'auth.verifyOtp', {
			input: { code },
			headers,
			jar
		});
		figures.statuses.push(verify.status);
		if (verify.status !== 200) throw new Error(`verify answered ${verify.status}`);
		const me = await trpcQuery<{ session: { state: string } } | null>(server.origin, 'auth.me', {
			headers,
			jar
		});
		figures.statuses.push(me.status);
		if (me.data?.session.state !== 'verified') throw new Error('auth.me: not verified');
		figures.signedIn = true;
		figures.ms = Math.round(performance.now() - started);
	} catch (error) {
		figures.failure = error instanceof Error ? error.message : String(error);
	}
	return { figures, cookie: jar.header() ?? null };
}

function printFigures(result: LoadResult): void {
	const rows = Object.entries(result.streams).map(([name, stream]) => ({
		stream: name,
		requests: stream.requests,
		'status codes': Object.entries(stream.statusCodes)
			.map(([code, count]) => `${code}:${count}`)
			.join(' '),
		busy: stream.busy,
		limited: stream.statusCodes['429'] ?? 0,
		'5xx': stream.serverErrors,
		'errors/timeouts': `${stream.clientErrors}/${stream.timeouts}`,
		'p50 ms': stream.latencyP50Ms,
		'p99 ms': stream.latencyP99Ms
	}));
	console.log(`\nLoad run: ${result.seconds} s on ${result.db}`);
	console.table(rows);
	const person = result.person;
	console.table({
		'signed-in traffic p50 / p99 (ms)': `${result.streams.signedIn.latencyP50Ms} / ${result.streams.signedIn.latencyP99Ms}`,
		'argon2 busy answers': result.busy,
		'5xx answers': result.serverErrors,
		'pool errors/timeouts (server log)': result.poolErrors,
		'server RSS before / after (MiB)': `${result.rssBeforeMb ?? '?'} / ${result.rssAfterMb ?? '?'}`,
		'server alive at the end': result.serverAlive,
		'real user signed in': person.signedIn
			? `yes, in ${person.ms} ms (${person.attempts} login attempt${person.attempts === 1 ? '' : 's'})`
			: `NO: ${person.failure}`
	});
}

async function main(): Promise<number> {
	const { seconds, db } = parseOptions();
	let database: TestDatabase | undefined;
	let sink: SmtpSink | undefined;
	let server: AppServer | undefined;
	try {
		database = await createTestDatabase(db);
		sink = await startSmtpSink();
		server = await startAppServer({
			DATABASE_URL: database.url,
			MAIL_TRANSPORT: 'smtp',
			SMTP_URL: sink.url,
			// As behind a proxy that sets the header: the load can then come from many addresses.
			ADDRESS_HEADER: 'x-forwarded-for',
			XFF_DEPTH: '1'
		});
		const admin = await seedUser(database.db, { role: 'admin' });
		const person = await seedUser(database.db);
		const targets = await Promise.all(
			Array.from({ length: TARGET_USERS }, () => seedUser(database!.db))
		);
		const session = await signInAsPerson(server, sink, admin, {
			address: SIGNED_IN_ADDRESS,
			deadline: Date.now() + 30_000
		});
		if (!session.cookie) throw new Error(`the admin could not sign in: ${session.figures.failure}`);
		const rssBeforeMb = residentMb(server.pid);

		console.log(`Running ${seconds} s of load on ${db}...`);
		const loadEnds = Date.now() + seconds * 1000;
		const single = oneAddress(server, seconds);
		await Promise.race([single.limited, sleep(5000)]);
		const rest = Math.max(1, Math.round((loadEnds - Date.now()) / 1000));
		const streams = Promise.all([
			wrongLogins(server, rest, targets),
			single.figures,
			signedIn(server, rest, session.cookie)
		]);
		await sleep((rest * 1000) / 4);
		const { figures: personFigures } = await signInAsPerson(server, sink, person, {
			address: PERSON_ADDRESS,
			deadline: loadEnds
		});
		const [wrong, fromOneAddress, verified] = await streams;

		const streamFigures = { wrongLogins: wrong, oneAddress: fromOneAddress, signedIn: verified };
		const all = Object.values(streamFigures);
		// The person's busy answers were waited out and tried again; any other 5xx is an error.
		const personErrors =
			personFigures.statuses.filter((status) => status >= 500).length - personFigures.busy;
		const result: LoadResult = {
			ok: false,
			db,
			seconds,
			streams: streamFigures,
			person: personFigures,
			busy: all.reduce((sum, stream) => sum + stream.busy, 0),
			serverErrors: all.reduce((sum, stream) => sum + stream.serverErrors, 0) + personErrors,
			poolErrors: server
				.output()
				.split('\n')
				.filter((line) => POOL_TROUBLE.test(line)).length,
			rssBeforeMb,
			rssAfterMb: residentMb(server.pid),
			serverAlive: server.isRunning()
		};
		result.ok = result.serverErrors === 0 && personFigures.signedIn && result.serverAlive;
		printFigures(result);
		if (!result.ok)
			console.error('\nFAILED: a 5xx, a person who could not sign in, or a dead server');
		if (result.serverErrors > 0 || !result.serverAlive) {
			console.error(
				`Server output (last lines):\n${server.output().split('\n').slice(-30).join('\n')}`
			);
		}
		console.log(`LOAD_RESULT ${JSON.stringify(result)}`);
		return result.ok ? 0 : 1;
	} finally {
		// The sink first: it closes the app's pooled SMTP connection, so the server stops at once.
		await sink?.stop();
		await server?.stop();
		await database?.drop();
	}
}

main().then(
	(status) => process.exit(status),
	(error: unknown) => {
		console.error(error instanceof Error ? error.message : error);
		process.exit(2);
	}
);
