// The Node and V8 settings every server process runs with, in one place: `npm start`
// (server/index.js) applies them to its workers, or to itself by re-executing with them, and the
// bench starts its server through the same code. Measured with `npm run bench` (README
// "Performance"): they keep a process under 150 MB of RSS through the whole bench.
// Plain JavaScript: Node runs it as it is, before anything is built.

/**
 * Flags before the script. A flag the command line or NODE_OPTIONS already names (with any
 * value) is left as the user set it; `--max-old-space-size=0` gives V8's own sizing back.
 */
export const SERVER_NODE_FLAGS = Object.freeze([
	// V8 sizes the heap from the machine's memory; an admin panel uses about 40 MB of it.
	'--max-old-space-size=128',
	// Node 22+ lets V8 grow each young-generation semi-space to 32 MB on a large machine, which
	// short-lived request garbage never needs. The young generation is resident at about three
	// semi-spaces once a load has grown it: 4 MB ends the bench 13-30 MB under 8 MB, at the same
	// throughput now that little outlives a request (patches/; README "Performance").
	'--max-semi-space-size=4'
]);

/**
 * glibc's allocator settings, read when a process starts (so only a new process gets them). An
 * environment variable already set is left alone.
 */
export const SERVER_ENV = Object.freeze({
	// argon2's 19 MiB buffers go back to the system when freed instead of staying in the arena of
	// the thread that hashed.
	MALLOC_MMAP_THRESHOLD_: '131072',
	// One arena per thread (glibc's default, up to 8 per core) keeps freed memory of the libuv and
	// V8 worker threads in each of them; two arenas are enough for a process whose JavaScript runs
	// on one thread.
	MALLOC_ARENA_MAX: '2'
});

/**
 * What the process started with `execArgv` and `env` lacks of the settings above.
 * @param {readonly string[]} execArgv
 * @param {NodeJS.ProcessEnv} env
 * @returns {{ flags: string[], env: Record<string, string> }}
 */
export function missingSettings(execArgv, env) {
	const given = new Set(
		[...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].filter(Boolean).map(flagName)
	);
	return {
		flags: SERVER_NODE_FLAGS.filter((flag) => !given.has(flagName(flag))),
		env: Object.fromEntries(Object.entries(SERVER_ENV).filter(([name]) => env[name] === undefined))
	};
}

/**
 * `--max_old_space_size=64` and `--max-old-space-size 64` name the same flag: V8 reads `_` as `-`.
 * @param {string} flag
 */
function flagName(flag) {
	return (flag.split('=')[0] ?? '').replaceAll('_', '-');
}
