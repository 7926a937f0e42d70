// The production build is the product alone. The bench mounts its endpoints itself, in its own
// entry (bench/server.js), so nothing under build/ may know of it: no /bench/* route, no switch
// a deployment could turn on, no query counter. Reads the build `npm test` makes first, as the
// other HTTP tests do.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BUILD = resolve('build');
// The word itself: the old /bench/* routes, BENCH_MODE, benchQueryLog and the bench's files all
// carry it, and nothing the app ships has a reason to (the stylesheet once picked up a log
// prefix of the bench as a class name).
const BENCH = /bench/i;

function filesUnder(dir: string): string[] {
	return readdirSync(dir, { recursive: true, withFileTypes: true })
		.filter((entry) => entry.isFile())
		.map((entry) => join(entry.parentPath, entry.name));
}

describe('the production build', () => {
	it('holds no bench code: no file under build/ names or mentions the bench', () => {
		expect(existsSync(join(BUILD, 'index.js')), 'run `npm run build` first').toBe(true);
		const files = filesUnder(BUILD);
		expect(files.length).toBeGreaterThan(0);
		const leaks = files
			.map((file) => relative(BUILD, file))
			.filter((path) => BENCH.test(path) || BENCH.test(readFileSync(join(BUILD, path), 'latin1')));
		expect(leaks).toEqual([]);
	});
});
