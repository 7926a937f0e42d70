// How a server process starts, whichever entry runs it (server/index.js for `npm start`,
// bench/server.js for the bench): WEB_CONCURRENCY worker processes sharing one port (the number of
// cores unless told), or with WEB_CONCURRENCY=1 the app in this very process, no primary. Either
// way with the Node settings of node-settings.js.
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { missingSettings } from './node-settings.js';
import { runPrimary } from './primary.js';

/** More is a typo: each worker costs about 150 MB and up to 10 MySQL connections. */
export const MAX_WEB_CONCURRENCY = 64;

/**
 * Runs `startApp` (which loads the app: the build starts listening as it is imported) in this
 * process, or, with several workers, makes this process their primary: each worker runs the same
 * entry script again, and so `startApp`.
 * @param {() => Promise<unknown>} startApp
 */
export async function runServer(startApp) {
	if (cluster.isWorker) {
		// adapter-node drains on SIGTERM/SIGINT and then emits this; the channel to the primary
		// would keep the worker alive after the app has let go of everything else.
		process.once('sveltekit:shutdown', () => cluster.worker?.disconnect());
		await startApp();
		return;
	}
	const settings = readServerSettings(process.env);
	if (typeof settings === 'string') {
		console.error(`[server] ${settings}`);
		process.exit(1);
	}
	const missing = missingSettings(process.execArgv, process.env);
	if (settings.workers > 1) {
		runPrimary({
			...settings,
			execArgv: [...process.execArgv, ...missing.flags],
			env: missing.env
		});
		return;
	}
	if (missing.flags.length > 0 || Object.keys(missing.env).length > 0) restartWith(missing);
	await startApp();
}

/**
 * @typedef {object} ServerSettings
 * @property {number} workers
 * @property {number} shutdownTimeoutSeconds
 */

/**
 * WEB_CONCURRENCY, and SHUTDOWN_TIMEOUT (adapter-node's; it reads the number with parseInt, so
 * "ten" would mean no grace at all): the settings, or what is wrong with them.
 * @param {NodeJS.ProcessEnv} env
 * @returns {ServerSettings | string}
 */
export function readServerSettings(env) {
	const problems = [];
	const concurrency = env.WEB_CONCURRENCY?.trim() || undefined;
	// systemd socket activation hands its socket to this very process (LISTEN_PID): workers
	// could not take it over, so it runs the app in one process unless told otherwise.
	const socketActivation = Boolean(env.LISTEN_FDS?.trim());
	const workers =
		concurrency !== undefined
			? Number(concurrency)
			: socketActivation
				? 1
				: Math.min(availableParallelism(), MAX_WEB_CONCURRENCY);
	if (!/^\d+$/.test(concurrency ?? '1') || workers < 1 || workers > MAX_WEB_CONCURRENCY) {
		problems.push(
			`WEB_CONCURRENCY: expected a whole number of worker processes from 1 to` +
				` ${MAX_WEB_CONCURRENCY}, got "${concurrency}"`
		);
	} else if (socketActivation && workers > 1) {
		problems.push('WEB_CONCURRENCY: socket activation (LISTEN_FDS) works with one process only');
	}
	const timeout = env.SHUTDOWN_TIMEOUT?.trim() || '30';
	if (!/^\d+$/.test(timeout)) {
		problems.push(`SHUTDOWN_TIMEOUT: expected a whole number of seconds, got "${timeout}"`);
	}
	if (problems.length > 0) return problems.join('\n[server] ');
	return { workers, shutdownTimeoutSeconds: Number(timeout) };
}

/**
 * One process: replace it with the same command plus the missing settings (same pid, so a
 * supervisor or a test that holds the pid still holds the server). Node reads V8 flags and glibc
 * its variables only when a process starts, and NODE_OPTIONS takes only some V8 flags.
 * @param {{ flags: string[], env: Record<string, string> }} missing
 */
function restartWith(missing) {
	if (typeof process.execve !== 'function') {
		// Node 22 before 22.15, or Windows: no way to restart in place; run as we are.
		console.warn(
			`[server] this Node cannot restart itself with the server's settings: start it as` +
				` \`${Object.entries(missing.env)
					.map(([name, value]) => `${name}=${value} `)
					.join('')}node ${missing.flags.join(' ')} ${process.argv[1]}\``
		);
		return;
	}
	process.execve(
		process.execPath,
		[process.execPath, ...process.execArgv, ...missing.flags, ...process.argv.slice(1)],
		{ ...process.env, ...missing.env }
	);
}
