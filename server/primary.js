// The primary of WEB_CONCURRENCY > 1 (server/start.js): it runs no app, only forks the workers
// (node:cluster, which shares the listening port among them), starts another when one dies and
// stops them all on SIGTERM/SIGINT. Like gunicorn's arbiter: a worker that cannot start at the
// first start stops the server; later deaths are restarted, slower and slower while they keep
// dying young.
import cluster from 'node:cluster';

/** A worker that dies younger than this counts towards the restart backoff. */
const STABLE_AFTER_MS = 10_000;
/** The n-th young death in a row waits 2^(n-1) s before its replacement, 30 s at most. */
const MAX_RESTART_DELAY_MS = 30_000;
/**
 * adapter-node closes the last connections at SHUTDOWN_TIMEOUT, then closes the database and the
 * mail pool: a worker still there this long after that is killed.
 */
const CLEANUP_GRACE_MS = 2_000;

const log = (/** @type {string} */ message) => console.log(`[server] ${message}`);

/**
 * @param {object} options
 * @param {number} options.workers
 * @param {number} options.shutdownTimeoutSeconds
 * @param {string[]} options.execArgv Node flags of each worker.
 * @param {Record<string, string>} options.env Added to each worker's environment.
 */
export function runPrimary({ workers, shutdownTimeoutSeconds, execArgv, env }) {
	cluster.setupPrimary({ execArgv });
	/** @type {Set<import('node:cluster').Worker>} */
	const running = new Set();
	/** @type {Map<number, number>} worker id -> when it was forked */
	const forkedAt = new Map();
	/** @type {Set<NodeJS.Timeout>} */
	const pendingRestarts = new Set();
	let up = false;
	let youngDeaths = 0;
	/** @type {number | null} null while the server runs; then the code the primary exits with */
	let exitCode = null;

	const fork = () => {
		const worker = cluster.fork(env);
		running.add(worker);
		forkedAt.set(worker.id, Date.now());
		return worker;
	};

	log(`primary ${process.pid}: starting ${workers} workers`);
	// Worker 1 alone first: it does what must run once per start (migrations when
	// MIGRATE_ON_START=true, the first-run setup link: src/lib/server/startup.ts checks the id),
	// so the others start on a migrated database and none of them races it.
	fork().once('listening', () => {
		for (let i = 1; i < workers; i++) fork();
	});

	let listening = 0;
	cluster.on('listening', (worker) => {
		log(`worker ${worker.id} (pid ${worker.process.pid}) listening`);
		if (!up && ++listening === workers) {
			up = true;
			log(`${workers} workers listening`);
		}
	});

	cluster.on('exit', (worker, code, signal) => {
		running.delete(worker);
		const how = signal ? `signal ${signal}` : `code ${code}`;
		if (exitCode !== null) {
			if (running.size === 0) process.exit(exitCode);
			return;
		}
		if (!up) {
			log(`worker ${worker.id} (pid ${worker.process.pid}) exited with ${how} while starting`);
			stop(1);
			return;
		}
		const age = Date.now() - (forkedAt.get(worker.id) ?? 0);
		forkedAt.delete(worker.id);
		youngDeaths = age < STABLE_AFTER_MS ? youngDeaths + 1 : 0;
		const delay =
			youngDeaths === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 1000 * 2 ** (youngDeaths - 1));
		log(
			`worker ${worker.id} (pid ${worker.process.pid}) exited with ${how}: starting another` +
				(delay ? ` in ${delay / 1000} s` : '')
		);
		const timer = setTimeout(() => {
			pendingRestarts.delete(timer);
			fork();
		}, delay);
		pendingRestarts.add(timer);
	});

	/**
	 * Every worker drains as adapter-node does in one process (no new connections, the requests
	 * under way finish, SHUTDOWN_TIMEOUT at most); the primary exits once they all have.
	 * @param {number} code
	 */
	const stop = (code) => {
		if (exitCode !== null) return;
		exitCode = code;
		for (const timer of pendingRestarts) clearTimeout(timer);
		if (running.size === 0) process.exit(code);
		for (const worker of running) worker.process.kill('SIGTERM');
		setTimeout(
			() => {
				for (const worker of running) {
					log(`worker ${worker.id} (pid ${worker.process.pid}) still running: killed`);
					worker.process.kill('SIGKILL');
				}
			},
			shutdownTimeoutSeconds * 1000 + CLEANUP_GRACE_MS
		).unref();
	};

	for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT'])) {
		process.on(signal, () => {
			log(
				`${signal}: the workers finish their requests (SHUTDOWN_TIMEOUT ${shutdownTimeoutSeconds} s)`
			);
			stop(0);
		});
	}
}
