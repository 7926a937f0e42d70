// The workers scenario: `npm start` with WEB_CONCURRENCY=1 and with 2 (server/start.js) on the
// bench's database, side by side, the 100-row users page at the list scenario's connections, in
// turns so a burst of other work on the machine falls on both alike. The page is the heaviest
// thing the app serves, where a second core should show. Plain `npm start` (server/index.js), not
// the bench's entry: nothing is counted in the servers, only their throughput and memory.
import { execFileSync } from 'node:child_process';
import type { Options } from 'autocannon';
import { startAppServer, type AppServer } from '../tools/app-server';
import { combineLoads, runLoad, type LoadFigures } from './load';

export interface WorkersRun extends LoadFigures {
	workers: number;
	/** RSS of each process after the run (MB): the primary first when there is one. */
	rssMb: number[];
}

export interface WorkersFigures {
	path: string;
	connections: number;
	runs: WorkersRun[];
}

export interface WorkersScenarioOptions {
	/** The server's environment beyond the test defaults (the database, the SMTP sink). */
	env: Record<string, string>;
	/** The flags the bench gives the server's processes (options.ts serverNodeArgs). */
	nodeArgs: string[];
	path: string;
	headers: Record<string, string>;
	connections: number;
	warmupSeconds: number;
	durationSeconds: number;
	rounds: number;
}

export async function runWorkersScenario(options: WorkersScenarioOptions): Promise<WorkersFigures> {
	const counts = [1, 2];
	const servers: AppServer[] = [];
	try {
		for (const workers of counts) {
			servers.push(
				await startAppServer(
					{ ...options.env, WEB_CONCURRENCY: String(workers) },
					{ nodeArgs: options.nodeArgs }
				)
			);
		}
		// Every worker of the pair listens before the load starts.
		await waitFor(() => servers[1]!.output().includes(`${counts[1]} workers listening`));
		const load = (server: AppServer): Options => ({
			url: server.origin + options.path,
			connections: options.connections,
			headers: options.headers
		});
		for (const server of servers) await runLoad(load(server), options.warmupSeconds);
		const rounds = servers.map(() => [] as LoadFigures[]);
		const seconds = options.durationSeconds / options.rounds;
		for (let round = 0; round < options.rounds; round++) {
			for (const [i, server] of servers.entries()) {
				rounds[i]!.push(await runLoad(load(server), seconds));
			}
		}
		return {
			path: options.path,
			connections: options.connections,
			runs: servers.map((server, i) => ({
				workers: counts[i]!,
				...combineLoads(rounds[i]!),
				rssMb: processTreeRssMb(server.pid)
			}))
		};
	} finally {
		for (const server of servers) await server.stop();
	}
}

/** The process and its children (a cluster's workers), from `ps` (Linux and macOS alike). */
function processTreeRssMb(pid: number): number[] {
	const rows = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,rss='], { encoding: 'utf8' })
		.trim()
		.split('\n')
		.map((line) => line.trim().split(/\s+/).map(Number) as [number, number, number]);
	return rows
		.filter(([id, parent]) => id === pid || parent === pid)
		.sort(([a], [b]) => (a === pid ? -1 : b === pid ? 1 : a - b))
		.map(([, , kilobytes]) => (kilobytes * 1024) / 1e6);
}

async function waitFor(condition: () => boolean): Promise<void> {
	for (let waited = 0; !condition(); waited += 100) {
		if (waited > 30_000) throw new Error('the workers did not all start in 30 s');
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}
