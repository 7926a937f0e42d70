// The "limiter" scenario: password tries for never-seen names, as fast as they go, from one
// address that is over its limit, against a rate_limits table that already holds many windows,
// while a real person signs in (password, then the emailed code) again and again from another
// address. What the flood costs that person, next to the same sign-ins without it, and how many
// rows the flood leaves behind.
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { createDb } from '../src/lib/server/db/create-db';
import type { Database } from '../src/lib/server/db/schema';
import type { SmtpSink } from '../tools/smtp-sink';
import { readServerStats, signIn, trpcInput, waitUntilQuiet } from './http';
import { percentilesOf } from './load';

/**
 * Where the flood comes from: another loopback address, so the server sees another client than
 * the person signing in (127.0.0.1). Linux answers on all of 127.0.0.0/8; on macOS add it first
 * with `sudo ifconfig lo0 alias 127.0.0.2`.
 */
export const FLOOD_ADDRESS = '127.0.0.2';

const WINDOW_MS = 15 * 60 * 1000;
const WINDOWS_IN_23_HOURS = 92;
const INSERT_BATCH = 1000;

/** Sign-in server time (the password step plus the code step), in milliseconds. */
export interface SignInLatency {
	runs: number;
	p50: number;
	p99: number;
}

export interface LimiterFigures {
	/** Windows in rate_limits when the scenario starts (pre-filled, all younger than a day). */
	rows: number;
	/** Concurrent connections of the flood. */
	connections: number;
	alone: SignInLatency;
	duringFlood: SignInLatency;
	flood: {
		tries: number;
		triesPerSecond: number;
		/** Share of the tries answered 429 (the rest were checked: the address's first 20). */
		throttledShare: number;
		/** Tries that got no answer at all (a reset connection). */
		errors: number;
		/** Rows the flood added to rate_limits (the sign-ins' own rows taken out). */
		rowsAdded: number;
		/** Server CPU time per try of the flood (the sign-ins' own taken out). */
		serverCpuMsPerTry: number;
		/** How late the server's event loop ran while the flood was on. */
		eventLoopDelayP99Ms: number;
		eventLoopDelayMaxMs: number;
	};
}

export interface LimiterOptions {
	origin: string;
	databaseUrl: string;
	sink: SmtpSink;
	rows: number;
	connections: number;
	runs: number;
	/** The person signing in, run by run (2 x runs + 1): another member each time (5 codes an hour). */
	member: (run: number) => string;
}

export async function runLimiterScenario(options: LimiterOptions): Promise<LimiterFigures> {
	const { db } = createDb(options.databaseUrl);
	try {
		await checkFloodAddress(options.origin);
		await fillRateLimits(db, options.rows);
		const rows = await countRows(db);

		// One sign-in first, unmeasured: it opens the person's address window, so every measured
		// sign-in adds the same rows (its own name's windows, its code's), subtracted below.
		await signIn(options.origin, options.sink, options.member(0));
		const aloneBefore = { rows: await countRows(db), ...(await readServerStats(options.origin)) };
		const alone = await signInRuns(options, 1);
		const aloneAfter = { rows: await countRows(db), ...(await readServerStats(options.origin)) };
		const rowsPerSignIn = (aloneAfter.rows - aloneBefore.rows) / options.runs;
		const cpuPerSignIn = (aloneAfter.cpuMicros - aloneBefore.cpuMicros) / options.runs;

		// Reading the stats restarts the server's event-loop delay histogram.
		const floodBefore = { rows: await countRows(db), ...(await readServerStats(options.origin)) };
		const flood = startFlood(options.origin, options.connections);
		const duringFlood = await flood
			.throttled()
			.then(() => signInRuns(options, 1 + options.runs))
			.finally(() => flood.stop());
		const tried = await flood.stop();
		const floodAfter = await readServerStats(options.origin);
		await waitUntilQuiet(options.origin);
		const rowsAdded = (await countRows(db)) - floodBefore.rows - rowsPerSignIn * options.runs;
		const floodCpu = floodAfter.cpuMicros - floodBefore.cpuMicros - cpuPerSignIn * options.runs;

		return {
			rows,
			connections: options.connections,
			alone: latencyOf(alone),
			duringFlood: latencyOf(duringFlood),
			flood: {
				tries: tried.tries,
				triesPerSecond: tried.tries / tried.seconds,
				throttledShare: tried.throttled / Math.max(1, tried.tries),
				errors: tried.errors,
				rowsAdded: Math.round(rowsAdded),
				serverCpuMsPerTry: floodCpu / 1000 / Math.max(1, tried.tries),
				eventLoopDelayP99Ms: floodAfter.eventLoopDelay.p99Ms,
				eventLoopDelayMaxMs: floodAfter.eventLoopDelay.maxMs
			}
		};
	} finally {
		await db.destroy();
	}
}

/**
 * Windows of buckets nobody will ask about, spread over the last 23 hours like real traffic's:
 * none turns a day old while the bench runs, so none is swept and the row counts stay exact.
 */
async function fillRateLimits(db: Kysely<Database>, rows: number): Promise<void> {
	const now = Date.now();
	const current = now - (now % WINDOW_MS);
	for (let start = 0; start < rows; start += INSERT_BATCH) {
		const batch = Array.from({ length: Math.min(INSERT_BATCH, rows - start) }, (_, i) => ({
			bucket: `pw:account:${randomBytes(32).toString('hex')}`,
			window_start: current - ((start + i) % WINDOWS_IN_23_HOURS) * WINDOW_MS,
			hits: 1
		}));
		await db.insertInto('rate_limits').values(batch).execute();
		// SQLite inserts block this process: let it see the server's idle keep-alive sockets close
		// meanwhile, or the next fetch goes out on a dead one ("other side closed").
		await nextTurn();
	}
}

async function countRows(db: Kysely<Database>): Promise<number> {
	const row = await db
		.selectFrom('rate_limits')
		.select((eb) => eb.fn.countAll<number | string>().as('rows'))
		.executeTakeFirstOrThrow();
	return Number(row.rows);
}

/** Full sign-ins one after another, each as a different member; their server times. */
async function signInRuns(options: LimiterOptions, offset: number): Promise<number[]> {
	const times: number[] = [];
	for (let run = 0; run < options.runs; run++) {
		const done = await signIn(options.origin, options.sink, options.member(offset + run));
		times.push(done.loginMs + done.verifyMs);
	}
	return times;
}

function latencyOf(times: number[]): SignInLatency {
	// Nearest rank: with 20 runs the p99 is the slowest one.
	return { runs: times.length, ...percentilesOf(times) };
}

interface Flood {
	/** Resolves once the server answers the flood 429 (its address is over the limit). */
	throttled(): Promise<void>;
	stop(): Promise<{ tries: number; throttled: number; errors: number; seconds: number }>;
}

/** `connections` loops, each sending the next try as soon as the last one is answered. */
function startFlood(origin: string, connections: number): Flood {
	const agent = new Agent({ keepAlive: true, maxSockets: connections });
	const url = new URL('/trpc/auth.login', origin);
	const prefix = `flood-${randomBytes(4).toString('hex')}`;
	const started = performance.now();
	const counts = { tries: 0, throttled: 0, errors: 0 };
	let running = true;
	let next = 0;
	let stopped: Promise<void> | null = null;
	const loops = Array.from({ length: connections }, async () => {
		while (running) {
			const body = trpcInput({ username: `${prefix}-${next++}`, password: 'not the password' });
			// A reset connection is counted and the loop goes on, as a flooding client's would.
			const status = await postFrom(FLOOD_ADDRESS, url, agent, body).catch(() => null);
			counts.tries++;
			if (status === 429) counts.throttled++;
			if (status === null) counts.errors++;
			// Nothing answers any more: the server is gone (the sign-ins will say so).
			if (counts.errors > 1000) running = false;
		}
	});
	return {
		async throttled() {
			for (let waited = 0; counts.throttled === 0; waited += 20) {
				if (!running || waited > 60_000) throw new Error('the flood was never answered 429');
				await sleep(20);
			}
		},
		// Idempotent: the scenario stops the flood whatever happens, then reads its figures.
		async stop() {
			running = false;
			stopped ??= Promise.all(loops).then(() => agent.destroy());
			await stopped;
			return { ...counts, seconds: (performance.now() - started) / 1000 };
		}
	};
}

/** A JSON POST from a chosen local address; resolves with the status once the body is read. */
function postFrom(localAddress: string, url: URL, agent: Agent, body: string): Promise<number> {
	return new Promise((resolve, reject) => {
		const sent = request(
			url,
			{
				method: 'POST',
				agent,
				localAddress,
				headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
			},
			(response) => {
				response.resume();
				response.on('end', () => resolve(response.statusCode ?? 0));
				response.on('error', reject);
			}
		);
		sent.on('error', reject);
		sent.end(body);
	});
}

/** Fails early, saying how to fix it, where 127.0.0.2 is not a local address. */
async function checkFloodAddress(origin: string): Promise<void> {
	const agent = new Agent();
	try {
		// Any answer will do (this one is a 405): the connection is what is tested.
		await postFrom(FLOOD_ADDRESS, new URL('/trpc/health', origin), agent, '');
	} catch (error) {
		throw new Error(
			`the limiter scenario sends its flood from ${FLOOD_ADDRESS}, which this machine cannot ` +
				`use (${error instanceof Error ? error.message : error}); on macOS: ` +
				'sudo ifconfig lo0 alias 127.0.0.2',
			{ cause: error }
		);
	} finally {
		agent.destroy();
	}
}
