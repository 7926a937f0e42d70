// What `npm run bench` found: bench/results.json, the printed table, and the budgets of issue 7.
import type { DatabaseDialect } from '../src/lib/server/config';
import type { LimiterFigures } from './limiter';
import type { LoadFigures } from './load';
import type { PageScripts } from './login-page-js';
import type { PageSize } from './page-size';
import type { WorkersFigures } from './workers';

/** How late the server's event loop ran during a load (work that blocked it), in ms. */
export interface LoopDelay {
	eventLoopDelayP99Ms: number;
	eventLoopDelayMaxMs: number;
}

export interface Scenario extends LoadFigures, LoopDelay {
	/** Over the timed run: the server's query counter difference divided by the requests. */
	queriesPerRequest: number;
	writesPerRequest: number;
	/** Server CPU time per request: steadier than req/s when other work shares the machine. */
	cpuMsPerRequest: number;
}

export interface FlowFigures {
	runs: number;
	/** Medians, in milliseconds. Server time is the two requests (the mail is sent inside the first). */
	serverMs: number;
	loginMs: number;
	verifyMs: number;
	endToEndMs: number;
	/** Database statements (and writes) of one sign-in, and the server's CPU time for it. */
	queries: number;
	writes: number;
	serverCpuMs: number;
	/** One argon2 hash in this process, with the server's parameters (median of a few). */
	hashMs: number;
	hashCpuMs: number;
}

export interface Budget {
	name: string;
	limit: string;
	value: number;
	met: boolean;
}

export interface BenchResults {
	meta: {
		date: string;
		dialect: DatabaseDialect;
		users: number;
		tiny: boolean;
		node: string;
		cpus: number;
		cpuModel: string;
		warmupSeconds: number;
		durationSeconds: number;
		rounds: number;
		connections: number;
		flags: number;
		listConnections: number;
		meRate: number;
		stormLogins: number;
		/** The Node flags the server's processes ran with (the start script's and the bench's). */
		nodeFlags: string[];
	};
	scenarios: {
		baseline: Scenario;
		/** auth.me without a session: hooks, SvelteKit and tRPC around no work at all. */
		floor: Scenario;
		api: Scenario;
		page: Scenario;
		/** users.list over /trpc, 100 rows, at `listConnections`: what the list pages are held to. */
		usersApi100: Scenario;
		/** The users page and the feature flags list, 100 rows each, at `listConnections`. */
		usersList: Scenario;
		flagsList: Scenario;
		meAlone: Scenario;
		meDuringStorm: LoadFigures & LoopDelay;
		stormLogins: LoadFigures;
	};
	/**
	 * Throughput ratios, and the same from server CPU time per request (baseline's / theirs). The
	 * baseline is the bare query, outside SvelteKit: these price the whole stack around it.
	 */
	ratios: {
		apiToBaseline: number;
		pageToBaseline: number;
		apiToBaselineByCpu: number;
		pageToBaselineByCpu: number;
		/**
		 * (baseline + floor) / api, by server CPU per request: the query plus what any /trpc request
		 * costs, over the API request. What is left is the session check, the guard and the
		 * procedure tier: security's own cost, which the budget is about.
		 */
		apiToQueryAndFloorByCpu: number;
		flagsListToUsersList: number;
		/** The 100-row pages' throughput over users.list's at 100 rows (issue 16: >= 0.5). */
		usersListToApi: number;
		flagsListToApi: number;
	};
	/** The two 100-row list pages as sent. */
	pageSizes: { usersList: PageSize; flagsList: PageSize };
	/** Counted one request at a time: database round trips and writes per request. */
	roundTrips: {
		sessionValidation: { queries: number; writes: number };
		baseline: { queries: number; writes: number };
		floor: { queries: number; writes: number };
		api: { queries: number; writes: number };
		page: { queries: number; writes: number };
		/** Session validation included (one statement). */
		flagsList: { queries: number; writes: number };
	};
	flow: FlowFigures;
	loginPageJs: PageScripts;
	/** The server process after the run. */
	serverMemory: {
		rssBytes: number;
		/** Mapped files' pages (the node binary, libraries); null off Linux. */
		fileBackedBytes: number | null;
		heapUsedBytes: number;
		heapTotalBytes: number;
		externalBytes: number;
	};
	/** Sign-ins during a flood of throttled fresh-name password tries, over a full rate_limits. */
	limiter: LimiterFigures;
	/** The users page on `npm start` with one worker and with two. */
	workers: WorkersFigures;
	budgets: Budget[];
}

const KB = 1000;
const MB = 1000 * 1000;

export function judgeBudgets(results: Omit<BenchResults, 'budgets'>): Budget[] {
	const { ratios, roundTrips, scenarios, flow, loginPageJs, serverMemory, pageSizes } = results;
	const tail = (scenario: Scenario) => scenario.p99 / Math.max(1, scenario.p50);
	const budget = (name: string, limit: string, value: number, met: boolean): Budget => ({
		name,
		limit,
		value: round(value),
		met
	});
	return [
		// Issue 7 priced security at most 15 % of an API request, when the baseline ran the query
		// through SvelteKit. The baseline now skips SvelteKit (2026-12-07), so api/baseline also
		// prices the framework; the floor scenario measures that part in the same run and this
		// budget adds it back, keeping the budget's meaning. By CPU time: throughputs do not add.
		budget(
			'(query + framework floor)/api, server CPU',
			'>= 0.85',
			ratios.apiToQueryAndFloorByCpu,
			ratios.apiToQueryAndFloorByCpu >= 0.85
		),
		budget(
			'round trips to validate a session',
			'= 1',
			roundTrips.sessionValidation.queries,
			roundTrips.sessionValidation.queries === 1
		),
		// The activity write comes at most once a minute per session: zero on almost every request.
		budget(
			'writes per authenticated request (auth.me run)',
			'<= 0.01',
			scenarios.meAlone.writesPerRequest,
			scenarios.meAlone.writesPerRequest <= 0.01
		),
		budget(
			'auth.me p99 during the login storm (ms)',
			'<= 50',
			scenarios.meDuringStorm.p99,
			scenarios.meDuringStorm.p99 <= 50
		),
		budget(
			'sign-in server time minus one hash (ms)',
			'<= 25',
			flow.serverMs - flow.hashMs,
			flow.serverMs <= flow.hashMs + 25
		),
		budget(
			'feature flags list / users page throughput',
			'>= 0.9',
			ratios.flagsListToUsersList,
			ratios.flagsListToUsersList >= 0.9
		),
		// Issue 16: a server-rendered list of 100 rows at least half as fast as the same rows as
		// JSON; a tight tail; at most 0.7 kB of HTML per row, page chrome included; no row sent
		// again as hydration data.
		budget(
			'users page / users.list, 100 rows, throughput',
			'>= 0.5',
			ratios.usersListToApi,
			ratios.usersListToApi >= 0.5
		),
		budget(
			'feature flags list / users.list, 100 rows, throughput',
			'>= 0.5',
			ratios.flagsListToApi,
			ratios.flagsListToApi >= 0.5
		),
		...(['usersList', 'flagsList'] as const).map((name) =>
			budget(
				`${name === 'usersList' ? 'users page' : 'feature flags list'} p99 / p50, 16 connections`,
				'<= 3',
				tail(scenarios[name]),
				tail(scenarios[name]) <= 3
			)
		),
		...(['usersList', 'flagsList'] as const).map((name) =>
			budget(
				`${name === 'usersList' ? 'users page' : 'feature flags list'} HTML per row (kB)`,
				'<= 0.7',
				pageSizes[name].bytesPerRow / KB,
				pageSizes[name].bytesPerRow <= 0.7 * KB
			)
		),
		budget(
			'inline script bytes on the list pages (hydration data)',
			'= 0',
			pageSizes.usersList.inlineScriptBytes + pageSizes.flagsList.inlineScriptBytes,
			pageSizes.usersList.inlineScriptBytes + pageSizes.flagsList.inlineScriptBytes === 0
		),
		// Page, count and one for every owner's title; the session's own statement aside.
		budget(
			'statements per feature flags list request, beyond the session',
			'<= 3',
			roundTrips.flagsList.queries - roundTrips.sessionValidation.queries,
			roundTrips.flagsList.queries - roundTrips.sessionValidation.queries <= 3
		),
		budget(
			'login page JavaScript (kB gzipped)',
			'<= 60',
			loginPageJs.gzipBytes / KB,
			loginPageJs.gzipBytes <= 60 * KB
		),
		budget(
			'server RSS after the run (MB)',
			'<= 150',
			serverMemory.rssBytes / MB,
			serverMemory.rssBytes <= 150 * MB
		)
	];
}

export function formatReport(results: BenchResults): string {
	const { meta, scenarios, ratios, roundTrips, flow, loginPageJs, serverMemory, limiter } = results;
	const { pageSizes, workers } = results;
	const rows: string[][] = [
		[
			'scenario',
			'req/s',
			'p50 ms',
			'p99 ms',
			'errors',
			'queries/req',
			'writes/req',
			'cpu ms/req',
			'loop p99 ms'
		],
		scenarioRow('baseline: /bench/users, no SvelteKit', scenarios.baseline),
		scenarioRow('floor: auth.me, no session', scenarios.floor),
		scenarioRow('api: users.list over /trpc', scenarios.api),
		scenarioRow('page: /users (server-rendered)', scenarios.page),
		scenarioRow(`users.list, 100 rows (${meta.listConnections} conn.)`, scenarios.usersApi100),
		scenarioRow(`users page, 100 rows (${meta.listConnections} conn.)`, scenarios.usersList),
		scenarioRow(
			`feature flags list, 100 of ${meta.flags} (${meta.listConnections} conn.)`,
			scenarios.flagsList
		),
		scenarioRow(`auth.me alone (${meta.meRate}/s)`, scenarios.meAlone),
		scenarioRow(`auth.me during the login storm`, scenarios.meDuringStorm),
		scenarioRow(`  ${meta.stormLogins} concurrent password logins`, scenarios.stormLogins)
	];
	const lines = [
		`${meta.dialect}, ${meta.users} users, ${meta.cpus} x ${meta.cpuModel}, Node ${meta.node}, ` +
			`node ${meta.nodeFlags.join(' ')}` +
			(meta.tiny ? ' (tiny run: the figures mean nothing)' : ''),
		'',
		...table(rows),
		'',
		`api/baseline ${fixed(ratios.apiToBaseline, 2)}   page/baseline ${fixed(ratios.pageToBaseline, 2)}` +
			`   (from server CPU per request: ${fixed(ratios.apiToBaselineByCpu, 2)} and` +
			` ${fixed(ratios.pageToBaselineByCpu, 2)}): the whole stack around the bare query, not budgeted`,
		`(query + framework floor)/api by server CPU ${fixed(ratios.apiToQueryAndFloorByCpu, 2)}:` +
			` the API request's cost beyond the query (baseline, outside SvelteKit) and beyond what` +
			` any /trpc request costs (floor) is the session check, the guard and the procedure` +
			` tier; the budget keeps that at most 15 %`,
		`round trips per request (one at a time): session validation ${roundTrips.sessionValidation.queries}` +
			` (writes ${roundTrips.sessionValidation.writes}), baseline ${roundTrips.baseline.queries},` +
			` floor ${roundTrips.floor.queries},` +
			` api ${roundTrips.api.queries}, page ${roundTrips.page.queries},` +
			` feature flags list ${roundTrips.flagsList.queries}`,
		`feature flags list / users page (100 rows each) ${fixed(ratios.flagsListToUsersList, 2)};` +
			` over users.list at 100 rows: users page ${fixed(ratios.usersListToApi, 2)},` +
			` feature flags list ${fixed(ratios.flagsListToApi, 2)}`,
		...(['usersList', 'flagsList'] as const).map((name) => {
			const size = pageSizes[name];
			return (
				`${name === 'usersList' ? 'users page' : 'feature flags list'}, ${size.rows} rows:` +
				` ${fixed(size.bytes / KB, 1)} kB, ${fixed(size.bytesPerRow / KB, 2)} kB per row` +
				` (${fixed(size.marginalBytesPerRow / KB, 2)} kB for each row more),` +
				` inline scripts ${size.inlineScriptBytes} bytes`
			);
		}),
		`sign-in (median of ${flow.runs}): server ${fixed(flow.serverMs, 1)} ms` +
			` (login ${fixed(flow.loginMs, 1)} + verify ${fixed(flow.verifyMs, 1)}),` +
			` end to end ${fixed(flow.endToEndMs, 1)} ms; one argon2 hash ${fixed(flow.hashMs, 1)} ms`,
		`  per sign-in: ${flow.queries} queries (${flow.writes} writes), server CPU` +
			` ${fixed(flow.serverCpuMs, 1)} ms; one hash ${fixed(flow.hashCpuMs, 1)} ms of CPU`,
		`login page JavaScript: ${loginPageJs.files} files, ${fixed(loginPageJs.bytes / KB, 1)} kB,` +
			` ${fixed(loginPageJs.gzipBytes / KB, 1)} kB gzipped`,
		`server memory after the run: RSS ${fixed(serverMemory.rssBytes / MB, 1)} MB` +
			` (V8 heap ${fixed(serverMemory.heapUsedBytes / MB, 1)} MB used of` +
			` ${fixed(serverMemory.heapTotalBytes / MB, 1)} MB, external ${fixed(serverMemory.externalBytes / MB, 1)} MB)`,
		...formatMemorySplit(serverMemory),
		...formatLimiter(limiter),
		...formatWorkers(workers),
		'',
		'budgets:',
		...results.budgets.map(
			(b) => `  ${b.met ? 'met   ' : 'MISSED'} ${b.name}: ${b.value} (budget ${b.limit})`
		)
	];
	return lines.join('\n');
}

/**
 * The RSS in three parts: what the process shares with every other process running the same files,
 * the V8 heap it has reserved, and the rest (glibc's allocator, which keeps what it was given back,
 * thread stacks, native modules' memory).
 */
function formatMemorySplit(memory: BenchResults['serverMemory']): string[] {
	if (memory.fileBackedBytes === null) return [];
	const rest = memory.rssBytes - memory.fileBackedBytes - memory.heapTotalBytes;
	return [
		`  of it: mapped files (the node binary, libraries) ${fixed(memory.fileBackedBytes / MB, 1)} MB,` +
			` V8 heap ${fixed(memory.heapTotalBytes / MB, 1)} MB, the rest (malloc, threads)` +
			` ${fixed(rest / MB, 1)} MB`
	];
}

function formatLimiter(limiter: LimiterFigures): string[] {
	const { alone, duringFlood, flood } = limiter;
	return [
		`limiter: ${limiter.rows} windows in rate_limits; fresh-name password tries from one address` +
			` over its limit, ${limiter.connections} connections`,
		`  real sign-in (login + verify, ${alone.runs} runs): alone p50 ${fixed(alone.p50, 1)}` +
			` / p99 ${fixed(alone.p99, 1)} ms; during the flood p50 ${fixed(duringFlood.p50, 1)}` +
			` / p99 ${fixed(duringFlood.p99, 1)} ms`,
		`  flood: ${flood.tries} tries (${fixed(flood.triesPerSecond, 0)}/s,` +
			` ${fixed(flood.throttledShare * 100, 1)}% answered 429, ${flood.errors} without an answer),` +
			` ${flood.rowsAdded} rows added,` +
			` server CPU ${fixed(flood.serverCpuMsPerTry, 2)} ms per try; server event loop p99` +
			` ${fixed(flood.eventLoopDelayP99Ms, 1)} / max ${fixed(flood.eventLoopDelayMaxMs, 1)} ms`
	];
}

function formatWorkers(workers: WorkersFigures): string[] {
	const [one] = workers.runs;
	return [
		`workers (npm start, ${workers.path}, ${workers.connections} connections):`,
		...workers.runs.map(
			(run) =>
				`  WEB_CONCURRENCY=${run.workers}: ${fixed(run.requestsPerSecond, 0)} req/s` +
				(one && run !== one
					? ` (${fixed(run.requestsPerSecond / one.requestsPerSecond, 2)} x one)`
					: '') +
				`, p50 ${fixed(run.p50, 1)} / p99 ${fixed(run.p99, 1)} ms, ${run.errors} errors;` +
				` RSS ${run.rssMb.map((mb) => fixed(mb, 0)).join(' + ')} MB` +
				(run.rssMb.length > 1 ? ' (primary first)' : '')
		)
	];
}

function scenarioRow(name: string, figures: LoadFigures & Partial<Scenario>): string[] {
	const optional = (value: number | undefined, digits: number) =>
		value === undefined ? '' : fixed(value, digits);
	return [
		name,
		fixed(figures.requestsPerSecond, 0),
		fixed(figures.p50, 1),
		fixed(figures.p99, 1),
		String(figures.errors),
		optional(figures.queriesPerRequest, 2),
		optional(figures.writesPerRequest, 3),
		optional(figures.cpuMsPerRequest, 2),
		optional(figures.eventLoopDelayP99Ms, 1)
	];
}

function table(rows: string[][]): string[] {
	const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
	return rows.map((row) =>
		row
			.map((cell, column) =>
				column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!)
			)
			.join('  ')
	);
}

const fixed = (value: number, digits: number) => value.toFixed(digits);
const round = (value: number) => Math.round(value * 1000) / 1000;
