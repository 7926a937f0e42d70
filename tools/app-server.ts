// Runs the production server (`npm start`: server/index.js over the build) as a child process,
// the way it is deployed; or another entry over the same build (the bench's, bench/server.js).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export interface AppServer {
	origin: string;
	/** The server's process id (for its memory figures in the load run). */
	pid: number;
	/** False once the process has exited, whatever the reason. */
	isRunning(): boolean;
	/** Everything the server printed so far (stdout and stderr). */
	output(): string;
	/** How the process ended (its exit code, or the signal that ended it); null while it runs. */
	exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | null;
	stop(): Promise<void>;
}

/**
 * `env` adds to (or, with `undefined`, removes from) the test defaults below. `nodeArgs` go before
 * the script, e.g. `--cpu-prof` (which NODE_OPTIONS refuses); `entry` is the script; `root` is the
 * project whose build runs (this one unless told: a copy, say), and the server's working directory.
 * `originHost` names the server in its ORIGIN (and `origin`): 127.0.0.1 unless told; WebAuthn
 * needs a domain name there (browsers refuse an IP address as the relying party), e.g. localhost.
 */
export async function startAppServer(
	env: Record<string, string | undefined>,
	{
		nodeArgs = [],
		root = process.cwd(),
		entry = resolve(root, 'server/index.js'),
		originHost = '127.0.0.1'
	}: { nodeArgs?: string[]; entry?: string; root?: string; originHost?: string } = {}
): Promise<AppServer> {
	if (!existsSync(resolve(root, 'build/index.js'))) {
		throw new Error('build/index.js is missing: run `npm run build` first (`npm test` does)');
	}
	const port = await findFreePort();
	const origin = `http://${originHost}:${port}`;
	const defaults: Record<string, string> = {
		PATH: process.env.PATH ?? '',
		NODE_ENV: 'production',
		MAIL_TRANSPORT: 'outbox',
		AUTH_SECRET: 'test-secret-that-is-at-least-32-bytes-long',
		HOST: '127.0.0.1',
		PORT: String(port),
		ORIGIN: origin,
		MIGRATE_ON_START: 'true',
		// One process, the app in it (no cluster primary): what most tests need, and half the
		// memory on a two-core machine. The worker tests set more.
		WEB_CONCURRENCY: '1'
	};
	const child = spawn(process.execPath, [...nodeArgs, entry], {
		// spawn would pass an undefined value on as the string "undefined".
		env: Object.fromEntries(
			Object.entries({ ...defaults, ...env }).filter(([, value]) => value !== undefined)
		),
		stdio: ['ignore', 'pipe', 'pipe'],
		cwd: root
	});
	// If this process ends first (a test worker that exits, a script that throws), the server must
	// not outlive it: it would keep its port and database file busy with no one to stop it.
	const killOnExit = () => child.kill('SIGKILL');
	process.once('exit', killOnExit);
	child.once('exit', () => process.off('exit', killOnExit));
	let output = '';
	child.stdout!.on('data', (chunk) => (output += chunk));
	child.stderr!.on('data', (chunk) => (output += chunk));
	await waitForListening(child, () => output);
	return {
		origin,
		pid: child.pid!,
		isRunning: () => child.exitCode === null && child.signalCode === null,
		output: () => output,
		exitStatus: () =>
			child.exitCode === null && child.signalCode === null
				? null
				: { code: child.exitCode, signal: child.signalCode },
		stop: () => stopChild(child)
	};
}

function waitForListening(child: ChildProcess, output: () => string): Promise<void> {
	return new Promise((resolvePromise, reject) => {
		const timer = setTimeout(() => fail(new Error('server did not start in 20 s')), 20_000);
		const onData = () => {
			if (!output().includes('Listening on')) return;
			clearTimeout(timer);
			child.stdout!.off('data', onData);
			resolvePromise();
		};
		const fail = (error: Error) => {
			clearTimeout(timer);
			child.kill('SIGKILL');
			reject(new Error(`${error.message}\n${output()}`));
		};
		child.stdout!.on('data', onData);
		child.once('exit', (code) => fail(new Error(`server exited with code ${code}`)));
	});
}

function stopChild(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null) return Promise.resolve();
	return new Promise((resolvePromise) => {
		child.once('exit', () => resolvePromise());
		child.kill('SIGTERM');
	});
}

function findFreePort(): Promise<number> {
	return new Promise((resolvePromise, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() =>
				typeof address === 'object' && address ? resolvePromise(address.port) : reject()
			);
		});
	});
}
