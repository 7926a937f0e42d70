// What `npm run bench` adds to the production server, and only there: bench/server.js answers
// /bench/* with this before the app sees the request. bench.ts bundles this file with esbuild
// into bench/.build/endpoints.js at every run, so the production build (build/) holds none of
// it, and bench/server.js (plain node, no TypeScript loader) can import it.
//
// - GET /bench/users, the baseline: the users page's own query (a page of 50 and the total,
//   through the same service and the same input schema), minus everything in between: no
//   session, no tRPC, no page rendering, no SvelteKit. It answers the same bytes as `users.list`
//   (tRPC's envelope around superjson), so the api/baseline ratio prices what the app adds
//   around the query, not the choice of wire format. Bundling the service is the simplest honest
//   way to run it here: the build does not export it, and rewriting its SQL in the bench would
//   drift from the page it stands for. It runs on a database handle of its own, opened as the
//   server opens its own (createDb with the server's pool limits, the same statement cache).
// - GET /bench/stats: database round trips, CPU time, memory and event-loop delay, read before
//   and after each scenario. Queries are counted from the app's `app:db:query` diagnostics
//   channel (src/lib/server/db/query-channel.ts), plus the baseline's own.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import superjson from 'superjson';
import { userListSchema } from '../src/lib/schemas/users';
import { createDb, SERVER_POOL_LIMITS } from '../src/lib/server/db/create-db';
import { DB_QUERY_CHANNEL, type DbQueryMessage } from '../src/lib/server/db/query-channel';
import { listUsers } from '../src/lib/server/services/user-directory';
import { testDeps } from '../tools/service-deps';

/** What GET /bench/stats answers. */
export interface BenchStats {
	/** Statements sent to the database since the server started, and how many of them wrote. */
	queries: number;
	writes: number;
	/** The process's CPU time so far (user + system, every thread), in microseconds. */
	cpuMicros: number;
	rssBytes: number;
	/**
	 * The part of the RSS that is mapped files (the node binary and shared libraries, which every
	 * process running them shares); the rest is the process's own memory. Null off Linux.
	 */
	fileBackedBytes: number | null;
	heapUsedBytes: number;
	heapTotalBytes: number;
	externalBytes: number;
	/** How late the event loop ran timers since the previous reading: work that blocked it. */
	eventLoopDelay: { p99Ms: number; maxMs: number };
}

export interface BenchEndpoints {
	/** Answers the request and returns true when it is one of the bench's; false leaves it alone. */
	handle(req: IncomingMessage, res: ServerResponse): boolean;
	/** Closes the baseline's database handle (a MySQL pool would keep the process alive). */
	close(): Promise<void>;
}

const BASELINE_QUERY = userListSchema.parse({ pageSize: 50 });
const WRITE_STATEMENT = /^\s*(insert|update|delete|replace)\b/i;

/**
 * Starts counting the app's queries at once: call it before the app opens its database, so the
 * counts cover the server's whole life (the migrations at start included, as before).
 */
export function createBenchEndpoints(databaseUrl: string): BenchEndpoints {
	const counts = { queries: 0, writes: 0 };
	// Failed statements count too: they cost a round trip all the same.
	const count = (sql: string) => {
		counts.queries++;
		if (WRITE_STATEMENT.test(sql)) counts.writes++;
	};
	subscribe(DB_QUERY_CHANNEL, (message) => count((message as DbQueryMessage).sql));
	const { db } = createDb(databaseUrl, {
		limits: SERVER_POOL_LIMITS,
		log: (event) => count(event.query.sql)
	});
	const readStats = statsReader(counts);

	function handle(req: IncomingMessage, res: ServerResponse): boolean {
		if (req.method !== 'GET') return false;
		if (req.url === '/bench/stats') {
			sendJson(res, readStats());
			return true;
		}
		if (req.url === '/bench/users') {
			listUsers(testDeps(db), BASELINE_QUERY).then(
				(page) => sendJson(res, { result: { data: superjson.serialize(page) } }),
				(error: unknown) => {
					console.error('[bench] baseline:', error);
					res.writeHead(500).end();
				}
			);
			return true;
		}
		return false;
	}
	return { handle, close: () => db.destroy() };
}

function sendJson(res: ServerResponse, body: unknown): void {
	res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Resident pages of mapped files: the RSS less its anonymous memory (/proc/self/smaps_rollup). */
function fileBackedBytes(): number | null {
	let rollup: string;
	try {
		rollup = readFileSync('/proc/self/smaps_rollup', 'utf8');
	} catch {
		return null;
	}
	const kB = (field: string) =>
		Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1]);
	const bytes = (kB('Rss') - kB('Anonymous')) * 1024;
	return Number.isFinite(bytes) ? bytes : null;
}

/** Each reading restarts the event-loop delay histogram; the first one starts it. */
function statsReader(counts: { queries: number; writes: number }): () => BenchStats {
	let loopDelay: IntervalHistogram | undefined;
	return () => {
		const cpu = process.cpuUsage();
		const memory = process.memoryUsage();
		const stats: BenchStats = {
			...counts,
			cpuMicros: cpu.user + cpu.system,
			rssBytes: memory.rss,
			fileBackedBytes: fileBackedBytes(),
			heapUsedBytes: memory.heapUsed,
			heapTotalBytes: memory.heapTotal,
			externalBytes: memory.external,
			eventLoopDelay: {
				p99Ms: loopDelay ? loopDelay.percentile(99) / 1e6 : 0,
				maxMs: loopDelay ? loopDelay.max / 1e6 : 0
			}
		};
		if (!loopDelay) {
			loopDelay = monitorEventLoopDelay({ resolution: 10 });
			loopDelay.enable();
		}
		loopDelay.reset();
		return stats;
	};
}
