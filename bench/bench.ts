// npm run bench [-- --db mysql] [--tiny] [--no-build] [--profile] [--max-old-space <MB>]
// What security costs, measured next to a baseline in the same run (issue 7, README
// "Performance"): builds the app, seeds users into a throw-away database, starts the production
// server with the bench's endpoints in front (bench/server.js) and drives it from this process
// over loopback. Prints a table and the budgets, writes bench/results.json. Exit code 0 whether
// budgets are met or not: they are read, not tested.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Options } from 'autocannon';
import { build } from 'esbuild';
import { hashPassword } from '../src/lib/server/auth/password';
import { startAppServer, type AppServer } from '../tools/app-server';
import { startSmtpSink, type SmtpSink } from '../tools/smtp-sink';
import { createTestDatabase, type TestDatabase } from '../tools/databases';
import { ADMIN_USERNAME, BENCH_PASSWORD, memberAt, seedFlags, seedUsers } from './database';
import {
	countRoundTrips,
	readServerStats,
	signIn,
	trpcInput,
	trpcQueryPath,
	waitUntilQuiet,
	type SignIn
} from './http';
import { runLimiterScenario } from './limiter';
import { combineLoads, runLoad, startLoad, withoutLatencies } from './load';
import { measurePageScripts } from './login-page-js';
import { measurePageSize } from './page-size';
import {
	parseBenchOptions,
	serverFlags,
	serverNodeArgs,
	USAGE,
	type BenchOptions
} from './options';
import {
	formatReport,
	judgeBudgets,
	type BenchResults,
	type FlowFigures,
	type Scenario
} from './report';
import { runWorkersScenario } from './workers';

// The users page's query: a page of 50 and the total (the baseline runs the same input).
const PAGE_OF_50 = { pageSize: 50 };
const PATHS = {
	baseline: '/bench/users',
	// auth.me with no session: the app's hooks, SvelteKit and tRPC around nothing (it answers null
	// without a query), the floor every /trpc request pays whatever it does.
	floor: '/trpc/auth.me',
	api: trpcQueryPath('users.list', PAGE_OF_50),
	page: `/users?pageSize=${PAGE_OF_50.pageSize}`,
	me: '/trpc/auth.me',
	// The example resource's list beside the users list, both 100 rows a page: one reference
	// column (owner) to fill against the users page's own columns (issue 15).
	usersList: '/users?pageSize=100',
	flagsList: '/resources/feature-flags?pageSize=100',
	// The users list's own query over the API at the same page size: what the 100-row page is
	// measured against (issue 16: the page at least half the API's throughput).
	usersApi100: trpcQueryPath('users.list', { pageSize: 100 })
};

const BENCH_SERVER = resolve('bench/server.js');

const log = (message: string) => console.error(`[bench] ${message}`);

async function main(): Promise<number> {
	const options = parseBenchOptions(process.argv.slice(2), process.env);
	if (typeof options === 'string') {
		console.error(`${options}\n${USAGE}`);
		return 2;
	}
	if (options.build) {
		log('building the production app (vite build)');
		const status = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], {
			stdio: 'inherit'
		}).status;
		if (status !== 0) return status ?? 1;
	}
	await bundleEndpoints();

	const resources = new Resources();
	process.once('SIGINT', () => void resources.release().finally(() => process.exit(130)));
	try {
		const database = await resources.database(options);
		const sink = await resources.sink();
		const server = await resources.server(options, database.url, sink.url);
		const results = await runBenchmark(options, database, server.origin, sink);
		mkdirSync(dirname(options.out), { recursive: true });
		writeFileSync(options.out, JSON.stringify(results, withoutLatencies, '\t') + '\n');
		console.log(formatReport(results));
		log(`wrote ${options.out}`);
		return 0;
	} finally {
		await resources.release();
	}
}

/**
 * bench/endpoints.ts and the app code it runs (the users service, createDb) as the one module
 * bench/server.js imports: that server is plain node over the production build, which neither
 * runs TypeScript nor exports the service. Written next to the bench, never into build/.
 */
async function bundleEndpoints(): Promise<void> {
	await build({
		entryPoints: [resolve('bench/endpoints.ts')],
		outfile: resolve('bench/.build/endpoints.js'),
		bundle: true,
		platform: 'node',
		format: 'esm',
		// kysely, better-sqlite3, mysql2, superjson, zod: loaded from node_modules, as the build does.
		packages: 'external',
		logLevel: 'warning'
	});
}

/** What the run holds, released in reverse order whatever happens (Ctrl-C included). */
class Resources {
	private releases: Array<() => Promise<void>> = [];

	async database(options: BenchOptions): Promise<TestDatabase> {
		const database = await createTestDatabase(options.dialect, {
			mysqlUrl: options.mysqlUrl,
			label: 'bench'
		});
		this.releases.push(() => database.drop());
		return database;
	}

	async sink(): Promise<SmtpSink> {
		const sink = await startSmtpSink();
		this.releases.push(() => sink.stop());
		return sink;
	}

	async server(options: BenchOptions, databaseUrl: string, smtpUrl: string): Promise<AppServer> {
		const profileDir = resolve('bench/profiles');
		const server = await startAppServer(
			{
				DATABASE_URL: databaseUrl,
				SMTP_URL: smtpUrl,
				MAIL_TRANSPORT: 'smtp',
				// One process: /bench/stats counts what that process did. The flags and glibc settings
				// are the start script's (server/node-settings.js), as `npm start` applies them.
				WEB_CONCURRENCY: '1'
			},
			{ entry: BENCH_SERVER, nodeArgs: serverNodeArgs(options, profileDir) }
		);
		this.releases.push(async () => {
			await server.stop();
			if (options.profile) log(`CPU profile of the server written to ${profileDir}`);
		});
		return server;
	}

	async release(): Promise<void> {
		for (const release of this.releases.splice(0).reverse()) {
			await release().catch((error: unknown) => log(`cleanup: ${String(error)}`));
		}
	}
}

async function runBenchmark(
	options: BenchOptions,
	database: TestDatabase,
	origin: string,
	sink: SmtpSink
): Promise<BenchResults> {
	log(`seeding ${options.users} users (${options.dialect})`);
	await seedUsers(database.db, options.users);
	log(`seeding ${options.flags} feature flags`);
	await seedFlags(database.db, options.flags);
	const admin = await signIn(origin, sink, ADMIN_USERNAME);
	const withCookie = { cookie: `session=${admin.token}` };
	const seconds = { warmup: options.warmupSeconds, duration: options.durationSeconds };

	log('counting database round trips per request');
	const roundTrips = {
		sessionValidation: await probe(PATHS.me, withCookie),
		baseline: await probe(PATHS.baseline, {}),
		floor: await probe(PATHS.floor, {}),
		api: await probe(PATHS.api, withCookie),
		page: await probe(PATHS.page, withCookie),
		flagsList: await probe(PATHS.flagsList, withCookie)
	};

	const throughput = (path: string, headers: Record<string, string>): Options => ({
		url: origin + path,
		connections: options.connections,
		headers
	});
	const loads = {
		baseline: throughput(PATHS.baseline, {}),
		floor: throughput(PATHS.floor, {}),
		api: throughput(PATHS.api, withCookie),
		page: throughput(PATHS.page, withCookie),
		usersList: { ...throughput(PATHS.usersList, withCookie), connections: options.listConnections },
		flagsList: { ...throughput(PATHS.flagsList, withCookie), connections: options.listConnections },
		usersApi100: {
			...throughput(PATHS.usersApi100, withCookie),
			connections: options.listConnections
		},
		// auth.me at a fixed rate, so its latency is the request's own, not a queue it fills itself.
		me: {
			url: origin + PATHS.me,
			connections: 4,
			overallRate: options.meRate,
			headers: withCookie
		} satisfies Options
	};
	// Every route once before any is measured: the first seconds of a fresh server (JIT, caches,
	// the SQLite file after the seeding) are slower and would favour whichever runs last.
	log(`warm-up: ${seconds.warmup} s per scenario`);
	for (const load of Object.values(loads)) await runLoad(load, seconds.warmup);

	/** One timed load, with the server's counters read before and after it. */
	async function measure(load: Options, duration: number): Promise<Scenario> {
		const before = await readServerStats(origin);
		const figures = await runLoad(load, duration);
		const after = await readServerStats(origin);
		const perRequest = (delta: number) => delta / Math.max(1, figures.requests);
		return {
			...figures,
			queriesPerRequest: perRequest(after.queries - before.queries),
			writesPerRequest: perRequest(after.writes - before.writes),
			cpuMsPerRequest: perRequest(after.cpuMicros - before.cpuMicros) / 1000,
			eventLoopDelayP99Ms: after.eventLoopDelay.p99Ms,
			eventLoopDelayMaxMs: after.eventLoopDelay.maxMs
		};
	}

	// Baseline, floor, API and page take turns in short rounds, so a burst of other work on the
	// machine falls on all four alike instead of on whichever ran at that moment.
	const turns = ['baseline', 'floor', 'api', 'page'] as const;
	log(
		`${turns.join(', ')}: ${options.rounds} rounds of ${seconds.duration / options.rounds} s each`
	);
	const rounds = Object.fromEntries(turns.map((name) => [name, [] as Scenario[]])) as Record<
		(typeof turns)[number],
		Scenario[]
	>;
	for (let round = 0; round < options.rounds; round++) {
		for (const name of turns) {
			rounds[name].push(await measure(loads[name], seconds.duration / options.rounds));
		}
	}
	const baseline = combineRounds(rounds.baseline);
	const floor = combineRounds(rounds.floor);
	const api = combineRounds(rounds.api);
	const page = combineRounds(rounds.page);
	log(
		`users.list over the API, the users and feature flags lists, 100 rows,` +
			` ${options.listConnections} connections: ${options.rounds} rounds of` +
			` ${seconds.duration / options.rounds} s each`
	);
	const lists = {
		usersApi100: [] as Scenario[],
		usersList: [] as Scenario[],
		flagsList: [] as Scenario[]
	};
	for (let round = 0; round < options.rounds; round++) {
		for (const name of ['usersApi100', 'usersList', 'flagsList'] as const) {
			lists[name].push(await measure(loads[name], seconds.duration / options.rounds));
		}
	}
	const usersApi100 = combineRounds(lists.usersApi100);
	const usersList = combineRounds(lists.usersList);
	const flagsList = combineRounds(lists.flagsList);
	const pageSizes = {
		usersList: await measurePageSize(origin, PATHS.usersList, withCookie),
		flagsList: await measurePageSize(origin, PATHS.flagsList, withCookie)
	};
	log(`auth.me alone: ${seconds.duration} s`);
	const meAlone = await measure(loads.me, seconds.duration);
	const { meDuringStorm, stormLogins } = await duringLoginStorm(options, origin, loads.me, seconds);
	await waitUntilQuiet(origin);

	const flow = await measureSignIn(options, origin, sink);
	log('measuring the login page JavaScript');
	const loginPageJs = await measurePageScripts(`${origin}/login`);
	const { rssBytes, fileBackedBytes, heapUsedBytes, heapTotalBytes, externalBytes } =
		await readServerStats(origin);
	// Last: it fills rate_limits, which no other scenario should meet, and its flood would move the
	// memory figures above.
	log(
		`limiter: ${options.limiterRows} windows in rate_limits, ${options.limiterRuns} sign-ins alone,` +
			` then as many during a flood of fresh-name tries (${options.limiterConnections} connections)`
	);
	const limiter = await runLimiterScenario({
		origin,
		databaseUrl: database.url,
		sink,
		rows: options.limiterRows,
		connections: options.limiterConnections,
		runs: options.limiterRuns,
		// Members below the sign-in flow's, from the end of the list (the storm takes them from the start).
		member: (run) => memberAt(options.users - 1 - options.flowRuns - run).username
	});
	log(
		`workers: the users page (100 rows, ${options.listConnections} connections) on \`npm start\`` +
			` with WEB_CONCURRENCY=1 and 2, ${options.rounds} rounds of ${seconds.duration / options.rounds} s each`
	);
	const workers = await runWorkersScenario({
		env: { DATABASE_URL: database.url, MAIL_TRANSPORT: 'smtp', SMTP_URL: sink.url },
		nodeArgs: serverNodeArgs({ ...options, profile: false }, ''),
		path: PATHS.usersList,
		headers: withCookie,
		connections: options.listConnections,
		warmupSeconds: seconds.warmup,
		durationSeconds: seconds.duration,
		rounds: options.rounds
	});

	const measured: Omit<BenchResults, 'budgets'> = {
		meta: {
			date: new Date().toISOString(),
			dialect: options.dialect,
			users: options.users,
			tiny: options.tiny,
			node: process.versions.node,
			cpus: availableParallelism(),
			cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
			warmupSeconds: options.warmupSeconds,
			durationSeconds: options.durationSeconds,
			rounds: options.rounds,
			connections: options.connections,
			flags: options.flags,
			listConnections: options.listConnections,
			meRate: options.meRate,
			stormLogins: options.stormLogins,
			nodeFlags: serverFlags(serverNodeArgs(options, resolve('bench/profiles')))
		},
		scenarios: {
			baseline,
			floor,
			api,
			page,
			usersApi100,
			usersList,
			flagsList,
			meAlone,
			meDuringStorm,
			stormLogins
		},
		ratios: {
			apiToBaseline: api.requestsPerSecond / baseline.requestsPerSecond,
			pageToBaseline: page.requestsPerSecond / baseline.requestsPerSecond,
			apiToBaselineByCpu: baseline.cpuMsPerRequest / api.cpuMsPerRequest,
			pageToBaselineByCpu: baseline.cpuMsPerRequest / page.cpuMsPerRequest,
			apiToQueryAndFloorByCpu:
				(baseline.cpuMsPerRequest + floor.cpuMsPerRequest) / api.cpuMsPerRequest,
			flagsListToUsersList: flagsList.requestsPerSecond / usersList.requestsPerSecond,
			usersListToApi: usersList.requestsPerSecond / usersApi100.requestsPerSecond,
			flagsListToApi: flagsList.requestsPerSecond / usersApi100.requestsPerSecond
		},
		pageSizes,
		roundTrips,
		flow,
		loginPageJs,
		serverMemory: { rssBytes, fileBackedBytes, heapUsedBytes, heapTotalBytes, externalBytes },
		limiter,
		workers
	};
	return { ...measured, budgets: judgeBudgets(measured) };

	async function probe(path: string, headers: Record<string, string>) {
		const counted = await countRoundTrips(origin, path, headers, options.probeRequests);
		return { queries: counted.queriesPerRequest, writes: counted.writesPerRequest };
	}
}

/** auth.me while `stormLogins` password logins run back to back, each as a different member. */
async function duringLoginStorm(
	options: BenchOptions,
	origin: string,
	me: Options,
	seconds: { warmup: number; duration: number }
) {
	log(`auth.me during ${options.stormLogins} concurrent password logins`);
	// Members from the start of the list; the sign-in flow and the limiter scenario take theirs
	// from the end (a code mail of the storm's must never be read as one of theirs).
	const stormUsers = options.users - options.flowRuns - limiterMembers(options);
	let next = 0;
	const storm = startLoad({
		url: origin,
		connections: options.stormLogins,
		duration: 3600, // stopped below
		requests: [
			{
				method: 'POST',
				path: '/trpc/auth.login',
				headers: { 'content-type': 'application/json' },
				setupRequest: (request) => ({
					...request,
					body: trpcInput({
						username: memberAt(next++ % stormUsers).username,
						password: BENCH_PASSWORD,
						tokenType: 'bearer'
					})
				})
			}
		]
	});
	// Until every login connection waits on a hash.
	await new Promise((resolve) => setTimeout(resolve, Math.max(1, seconds.warmup) * 1000));
	await readServerStats(origin); // restarts the event-loop delay histogram
	const figures = await runLoad(me, seconds.duration);
	const { eventLoopDelay } = await readServerStats(origin);
	const stormLogins = await storm.stop();
	return {
		meDuringStorm: {
			...figures,
			eventLoopDelayP99Ms: eventLoopDelay.p99Ms,
			eventLoopDelayMaxMs: eventLoopDelay.maxMs
		},
		stormLogins
	};
}

/** Members the limiter scenario signs in: its runs alone and during the flood, and one first. */
function limiterMembers(options: BenchOptions): number {
	return 2 * options.limiterRuns + 1;
}

/** Full sign-ins one after another, as different members, next to one hash in this process. */
async function measureSignIn(
	options: BenchOptions,
	origin: string,
	sink: SmtpSink
): Promise<FlowFigures> {
	log(`sign-in: ${options.flowRuns} full sign-ins, and one argon2 hash here`);
	const hashes: number[] = [];
	const hashCpu: number[] = [];
	await hashPassword(BENCH_PASSWORD); // the first one allocates; not counted
	for (let i = 0; i < 5; i++) {
		const [started, startedCpu] = [performance.now(), process.cpuUsage()];
		await hashPassword(BENCH_PASSWORD);
		const cpu = process.cpuUsage(startedCpu);
		hashes.push(performance.now() - started);
		hashCpu.push((cpu.user + cpu.system) / 1000);
	}
	const runs: Array<SignIn & { queries: number; writes: number; cpuMs: number }> = [];
	for (let i = 0; i < options.flowRuns; i++) {
		const before = await readServerStats(origin);
		const run = await signIn(origin, sink, memberAt(options.users - 1 - i).username);
		const after = await readServerStats(origin);
		runs.push({
			...run,
			queries: after.queries - before.queries,
			writes: after.writes - before.writes,
			cpuMs: (after.cpuMicros - before.cpuMicros) / 1000
		});
	}
	const medianOf = (figure: (run: (typeof runs)[number]) => number) => median(runs.map(figure));
	return {
		runs: runs.length,
		serverMs: medianOf((run) => run.loginMs + run.verifyMs),
		loginMs: medianOf((run) => run.loginMs),
		verifyMs: medianOf((run) => run.verifyMs),
		endToEndMs: medianOf((run) => run.endToEndMs),
		queries: medianOf((run) => run.queries),
		writes: medianOf((run) => run.writes),
		serverCpuMs: medianOf((run) => run.cpuMs),
		hashMs: median(hashes),
		hashCpuMs: median(hashCpu)
	};
}

/**
 * Rounds of one scenario as one: the load's figures over all of its requests (`combineLoads`), the
 * server's per-request figures weighted by each round's requests, the worst loop delay.
 */
function combineRounds(rounds: Scenario[]): Scenario {
	const load = combineLoads(rounds);
	const weighted = (figure: (round: Scenario) => number) =>
		rounds.reduce((total, round) => total + figure(round) * round.requests, 0) /
		Math.max(1, load.requests);
	return {
		...load,
		queriesPerRequest: weighted((round) => round.queriesPerRequest),
		writesPerRequest: weighted((round) => round.writesPerRequest),
		cpuMsPerRequest: weighted((round) => round.cpuMsPerRequest),
		eventLoopDelayP99Ms: Math.max(...rounds.map((round) => round.eventLoopDelayP99Ms)),
		eventLoopDelayMaxMs: Math.max(...rounds.map((round) => round.eventLoopDelayMaxMs))
	};
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

main().then(
	(code) => process.exit(code),
	(error: unknown) => {
		console.error(error instanceof Error ? (error.stack ?? error.message) : error);
		// fetch failures say why only in their cause (ECONNRESET, a closed socket, ...).
		if (error instanceof Error && error.cause) console.error('cause:', error.cause);
		process.exit(1);
	}
);
