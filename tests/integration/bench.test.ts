// `npm run bench` in its tiny mode, so the script cannot rot: it must finish and report every
// figure. No figure is judged here (a busy machine moves them all); the budgets are read from a
// full run (README "Performance"). Needs the production build, like the other HTTP tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measurePageScripts } from '../../bench/login-page-js';
import { startAppServer, type AppServer } from '../../tools/app-server';
import { dialects, mysqlBaseUrl } from '../../tools/databases';

const TSX = resolve('node_modules/.bin/tsx');
const BENCH = resolve('bench/bench.ts');

const SCENARIO_FIGURES = ['requestsPerSecond', 'p50', 'p99', 'errors', 'requests'];
const MEASURED_SCENARIO_FIGURES = [
	...SCENARIO_FIGURES,
	'queriesPerRequest',
	'writesPerRequest',
	'cpuMsPerRequest',
	'eventLoopDelayP99Ms'
];
const FIGURES = [
	...[
		'baseline',
		'floor',
		'api',
		'page',
		'usersApi100',
		'usersList',
		'flagsList',
		'meAlone'
	].flatMap((scenario) =>
		MEASURED_SCENARIO_FIGURES.map((figure) => `scenarios.${scenario}.${figure}`)
	),
	...[...SCENARIO_FIGURES, 'eventLoopDelayP99Ms'].map((f) => `scenarios.meDuringStorm.${f}`),
	...SCENARIO_FIGURES.map((figure) => `scenarios.stormLogins.${figure}`),
	'ratios.apiToBaseline',
	'ratios.pageToBaseline',
	'ratios.apiToBaselineByCpu',
	'ratios.pageToBaselineByCpu',
	'ratios.apiToQueryAndFloorByCpu',
	'ratios.flagsListToUsersList',
	'ratios.usersListToApi',
	'ratios.flagsListToApi',
	...['usersList', 'flagsList'].flatMap((page) =>
		['bytes', 'rows', 'bytesPerRow', 'marginalBytesPerRow', 'inlineScriptBytes'].map(
			(figure) => `pageSizes.${page}.${figure}`
		)
	),
	...['sessionValidation', 'baseline', 'floor', 'api', 'page', 'flagsList'].flatMap((kind) => [
		`roundTrips.${kind}.queries`,
		`roundTrips.${kind}.writes`
	]),
	...['serverMs', 'loginMs', 'verifyMs', 'endToEndMs', 'queries', 'writes', 'serverCpuMs'].map(
		(figure) => `flow.${figure}`
	),
	'flow.hashMs',
	'flow.hashCpuMs',
	'loginPageJs.files',
	'loginPageJs.gzipBytes',
	'serverMemory.rssBytes',
	'serverMemory.fileBackedBytes',
	'serverMemory.heapUsedBytes',
	'limiter.rows',
	...['alone', 'duringFlood'].flatMap((run) =>
		['runs', 'p50', 'p99'].map((f) => `limiter.${run}.${f}`)
	),
	...[
		'tries',
		'triesPerSecond',
		'throttledShare',
		'rowsAdded',
		'serverCpuMsPerTry',
		'eventLoopDelayP99Ms'
	].map((figure) => `limiter.flood.${figure}`)
];

function figureAt(results: unknown, path: string): unknown {
	return path
		.split('.')
		.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], results);
}

/** Runs a script to its end; stdout and stderr together, for the failure message. */
function run(
	args: string[],
	env: Record<string, string>
): Promise<{ code: number; output: string }> {
	return new Promise((done) => {
		const child = spawn(TSX, args, { env: { ...process.env, ...env } });
		let output = '';
		child.stdout.on('data', (chunk) => (output += chunk));
		child.stderr.on('data', (chunk) => (output += chunk));
		child.on('close', (code) => done({ code: code ?? 1, output }));
	});
}

describe.each(dialects)('npm run bench on %s', (dialect) => {
	let dir: string;
	beforeAll(() => {
		dir = mkdtempSync(join(tmpdir(), 'bench-test-'));
	});
	afterAll(() => rmSync(dir, { recursive: true, force: true }));

	it('runs every scenario in tiny mode and writes every figure and budget', async () => {
		const out = join(dir, 'results.json');
		const { code, output } = await run(
			[BENCH, '--tiny', '--no-build', '--db', dialect, '--out', out],
			{ MYSQL_URL: mysqlBaseUrl() ?? '' }
		);
		expect(code, output).toBe(0);
		const results = JSON.parse(readFileSync(out, 'utf8'));
		const missing = FIGURES.filter((path) => !Number.isFinite(figureAt(results, path)));
		expect(missing, 'figures that are not numbers').toEqual([]);
		expect(results.meta).toMatchObject({ dialect, tiny: true });
		expect(results.scenarios.baseline.requests).toBeGreaterThan(0);
		// The RSS split: the node binary's pages at least (tens of MB), and never all of the RSS.
		expect(results.serverMemory.fileBackedBytes).toBeGreaterThan(10 * 2 ** 20);
		expect(results.serverMemory.fileBackedBytes).toBeLessThan(results.serverMemory.rssBytes);
		// Counted on both sides: the baseline's own handle (a page and the total), and the app's
		// statements from its diagnostics channel (the session lookup of every signed-in request).
		expect(results.roundTrips.baseline).toEqual({ queries: 2, writes: 0 });
		expect(results.roundTrips.sessionValidation.queries).toBeGreaterThanOrEqual(1);
		// The floor does nothing but pass through the stack: no session, no statement.
		expect(results.roundTrips.floor).toEqual({ queries: 0, writes: 0 });
		// The throughput budget is judged against the query plus that floor, not the bare query.
		expect(results.budgets[0]).toMatchObject({
			name: '(query + framework floor)/api, server CPU',
			value: Math.round(results.ratios.apiToQueryAndFloorByCpu * 1000) / 1000
		});
		expect(results.budgets).toHaveLength(16);
		expect(results.pageSizes.usersList.rows).toBe(100);
		for (const budget of results.budgets) {
			expect(budget).toEqual({
				name: expect.any(String),
				limit: expect.any(String),
				value: expect.any(Number),
				met: expect.any(Boolean)
			});
		}
		// The users page on `npm start` with one worker and with two (a primary and two workers).
		expect(results.workers.runs.map((run: { workers: number }) => run.workers)).toEqual([1, 2]);
		for (const run of results.workers.runs) expect(run.requests).toBeGreaterThan(0);
		expect(results.workers.runs[1].rssMb).toHaveLength(3);
		expect(output).toContain('WEB_CONCURRENCY=2');
		// The table and the verdicts are printed, not only written.
		expect(output).toContain('api/baseline');
		expect(output).toContain('floor: auth.me, no session');
		expect(output).toContain('during the flood');
		expect(output).toMatch(/budgets:\n( {2}(met {3}|MISSED) .+\n){15}/);
		expect(output).toContain('kB for each row more');
	}, 240_000);
});

describe('the production server (npm start)', () => {
	let server: AppServer;
	let dir: string;
	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), 'bench-off-'));
		server = await startAppServer({ DATABASE_URL: `file:${join(dir, 'app.db')}` });
	});
	afterAll(async () => {
		await server?.stop();
		rmSync(dir, { recursive: true, force: true });
	});

	it('answers 404 at /bench/users and /bench/stats: only bench/server.js serves them', async () => {
		for (const path of ['/bench/users', '/bench/stats']) {
			expect((await fetch(server.origin + path)).status, path).toBe(404);
		}
	});

	it("counts the login page's own nodes, not only the entry scripts and their imports", async () => {
		const scripts = await measurePageScripts(`${server.origin}/login`);
		// The root layout, the (auth) layout and the login page: what the HTML's node_ids name.
		const nodes = scripts.urls.filter((path) => path.startsWith('/_app/immutable/nodes/'));
		expect(nodes).toHaveLength(3);
		expect(scripts.urls.filter((path) => path.includes('/entry/'))).toHaveLength(2);
		expect(scripts.files).toBe(scripts.urls.length);
		expect(scripts.gzipBytes).toBeGreaterThan(0);
	});
});
