// The command line of `npm run bench`, and how long and how hard each scenario runs.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DatabaseDialect } from '../src/lib/server/config';
import { missingSettings } from '../server/node-settings.js';

export const USAGE =
	'usage: npm run bench -- [--db sqlite|mysql] [--tiny] [--no-build] [--profile]' +
	' [--max-old-space <MB>] [--node-arg <flag>]... [--out <file>]';

export interface BenchOptions {
	dialect: DatabaseDialect;
	/** MySQL: the server (and base name) next to which a throw-away database is created. */
	mysqlUrl: string | undefined;
	tiny: boolean;
	build: boolean;
	/** Write a CPU profile of the server (`node --cpu-prof`) into bench/profiles/. */
	profile: boolean;
	/**
	 * The server's V8 old-space limit (`node --max-old-space-size`) instead of the start script's
	 * (server/node-settings.js); `--max-old-space 0` gives V8's own sizing of the old space and
	 * the semi-spaces back (from the machine's memory).
	 */
	maxOldSpaceMb: number | undefined;
	/** More flags for the server's processes (`--node-arg=--single-threaded-gc`), to try them. */
	nodeArgs: string[];
	out: string;
	users: number;
	/** Seconds of warm-up, then of measurement, per scenario. */
	warmupSeconds: number;
	durationSeconds: number;
	/** Baseline, API and page alternate this many times within their measured seconds. */
	rounds: number;
	/** Concurrent connections of the throughput scenarios. */
	connections: number;
	/** Feature flags seeded for the list scenario (the example resource's list page). */
	flags: number;
	/** Concurrent connections of the two list pages (users, feature flags), 100 rows a page. */
	listConnections: number;
	/** auth.me is sent at a fixed rate, alone and during the storm, so latencies compare. */
	meRate: number;
	stormLogins: number;
	flowRuns: number;
	/** Sequential requests that count database round trips per request. */
	probeRequests: number;
	/** The limiter scenario: windows pre-filled, flood connections, sign-ins alone and during. */
	limiterRows: number;
	limiterConnections: number;
	limiterRuns: number;
}

/** The options, or a message saying what is wrong with the command line. */
export function parseBenchOptions(
	args: string[],
	env: Record<string, string | undefined>
): BenchOptions | string {
	let values;
	try {
		({ values } = parseArgs({
			args,
			strict: true,
			options: {
				db: { type: 'string', default: 'sqlite' },
				tiny: { type: 'boolean', default: false },
				'no-build': { type: 'boolean', default: false },
				profile: { type: 'boolean', default: false },
				'max-old-space': { type: 'string' },
				'node-arg': { type: 'string', multiple: true, default: [] },
				out: { type: 'string', default: 'bench/results.json' }
			}
		}));
	} catch (error) {
		return error instanceof Error ? error.message : String(error);
	}
	if (values.db !== 'sqlite' && values.db !== 'mysql') return '--db must be sqlite or mysql';
	const mysqlUrl = env.MYSQL_URL || undefined;
	if (values.db === 'mysql' && !mysqlUrl) {
		return '--db mysql needs MYSQL_URL, e.g. mysql://root@127.0.0.1:3306/localtest';
	}
	const maxOldSpace = values['max-old-space'];
	if (maxOldSpace !== undefined && !/^(0|[1-9]\d*)$/.test(maxOldSpace)) {
		return '--max-old-space must be a number of megabytes';
	}
	const nodeArgs = values['node-arg'];
	if (nodeArgs.some((arg) => !arg.startsWith('--')))
		return '--node-arg takes a flag: --node-arg=--x';
	// BENCH_TINY=true does what --tiny does, for runners that cannot pass arguments.
	const tiny = values.tiny || env.BENCH_TINY === 'true' || env.BENCH_TINY === '1';
	return {
		dialect: values.db,
		mysqlUrl,
		tiny,
		build: !values['no-build'],
		profile: values.profile,
		maxOldSpaceMb: maxOldSpace === undefined ? undefined : Number(maxOldSpace),
		nodeArgs,
		out: resolve(values.out),
		...(tiny ? TINY : FULL)
	};
}

type Load = Omit<
	BenchOptions,
	'dialect' | 'mysqlUrl' | 'tiny' | 'build' | 'profile' | 'maxOldSpaceMb' | 'nodeArgs' | 'out'
>;

/**
 * The flags the bench adds to the server's command line; server/start.js adds the start script's
 * own (node-settings.js) for any flag these do not name, as it does for `npm start`.
 */
export function serverNodeArgs(options: BenchOptions, profileDir: string): string[] {
	const heap =
		options.maxOldSpaceMb === undefined
			? []
			: options.maxOldSpaceMb === 0
				? ['--max-old-space-size=0', '--max-semi-space-size=0']
				: [`--max-old-space-size=${options.maxOldSpaceMb}`];
	return [
		...(options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
		...heap,
		...options.nodeArgs
	];
}

/** Every flag the server's processes run with: the bench's and then the start script's. */
export function serverFlags(nodeArgs: string[]): string[] {
	return [...nodeArgs, ...missingSettings(nodeArgs, {}).flags];
}

// About 80 s of load and the limiter scenario's dozen seconds (most of it filling rate_limits);
// with the build and the seeding the whole run stays under 3 minutes.
const FULL: Load = {
	users: 10_000,
	warmupSeconds: 2,
	durationSeconds: 8,
	rounds: 4,
	connections: 10,
	flags: 10_000,
	listConnections: 16,
	meRate: 200,
	stormLogins: 16,
	flowRuns: 20,
	probeRequests: 20,
	limiterRows: 300_000,
	limiterConnections: 16,
	limiterRuns: 20
};

// A second per scenario: proves the script still runs, not how fast anything is.
const TINY: Load = {
	users: 200,
	warmupSeconds: 0.5,
	durationSeconds: 1,
	rounds: 1,
	connections: 4,
	flags: 300,
	listConnections: 4,
	meRate: 100,
	stormLogins: 16,
	flowRuns: 3,
	probeRequests: 5,
	limiterRows: 3000,
	limiterConnections: 4,
	limiterRuns: 3
};
