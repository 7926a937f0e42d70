// The load run (scripts/load.ts) as CI runs it: a short, bounded run per dialect against the
// production build. Its figures are printed for the CI log; only the outcome is asserted (no 5xx,
// the real user signed in, the server alive), never a latency: this is a benchmark.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../../scripts/load';
import { dialects } from '../helpers/databases';

const SECONDS = 20;
const TSX = resolve('node_modules/tsx/dist/cli.mjs');

/** Runs the load script to its end: its exit status and everything it printed. */
function runLoadScript(args: string[]): Promise<{ status: number | null; output: string }> {
	return new Promise((resolvePromise, reject) => {
		const child = spawn(process.execPath, [TSX, 'scripts/load.ts', ...args], {
			env: process.env,
			stdio: ['ignore', 'pipe', 'pipe']
		});
		let output = '';
		child.stdout.on('data', (chunk) => (output += chunk));
		child.stderr.on('data', (chunk) => (output += chunk));
		child.once('error', reject);
		child.once('exit', (status) => resolvePromise({ status, output }));
	});
}

function loadResultOf(output: string): LoadResult {
	const line = output.split('\n').find((candidate) => candidate.startsWith('LOAD_RESULT '));
	if (!line) throw new Error(`the load script printed no LOAD_RESULT line:\n${output}`);
	return JSON.parse(line.slice('LOAD_RESULT '.length)) as LoadResult;
}

describe.each(dialects)('a bounded load run on %s', (dialect) => {
	it(
		`50 wrong logins a second with signed-in traffic for ${SECONDS} s [no 5xx; a real user signs in; the server stays up]`,
		async () => {
			const { status, output } = await runLoadScript([
				'--seconds',
				String(SECONDS),
				'--db',
				dialect
			]);
			// The figures table, for the CI log.
			console.log(output);

			const result = loadResultOf(output);
			expect(result.serverErrors).toBe(0);
			expect(result.person.failure).toBeNull();
			expect(result.person.signedIn).toBe(true);
			expect(result.serverAlive).toBe(true);
			expect(result.streams.wrongLogins.requests).toBeGreaterThan(0);
			expect(result.streams.signedIn.statusCodes['200']).toBeGreaterThan(0);
			expect(status).toBe(0);
		},
		// The run itself, plus starting the server and seeding users on a busy machine.
		(SECONDS + 90) * 1000
	);
});
