// `npm run bench:audit` on a small log, so the script cannot rot: it must seed, time every reader
// and print a plan for each statement. The figures of a full run are in README "Performance".
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dialects, mysqlBaseUrl } from '../../tools/databases';

const TSX = resolve('node_modules/.bin/tsx');
const BENCH_AUDIT = resolve('bench/audit.ts');
const CALLS = 6;

describe.each(dialects)('npm run bench:audit on %s', (dialect) => {
	it('seeds a small log, times every reader of the audit log and prints their plans', () => {
		const run = spawnSync(
			TSX,
			[BENCH_AUDIT, '--db', dialect, '--rows', '2000', '--users', '40', '--runs', '2', '--plans'],
			{ encoding: 'utf8', env: { ...process.env, MYSQL_URL: mysqlBaseUrl() ?? '' } }
		);
		expect(run.status, run.stderr).toBe(0);
		const timed = run.stdout
			.split('\n')
			.filter((line) => /^\| .+ \| [\d.]+ \| [\d.]+ \|$/.test(line));
		expect(timed).toHaveLength(CALLS);
		expect(run.stdout.match(/^### /gm)).toHaveLength(CALLS);
		expect(run.stdout).toContain('audit_log_newest_idx');
	}, 120_000);
});

describe('npm run bench:audit', () => {
	it('refuses a bad option with its usage', () => {
		const run = spawnSync(TSX, [BENCH_AUDIT, '--rows', 'many'], { encoding: 'utf8' });
		expect(run.status).toBe(2);
		expect(run.stderr).toContain('usage: npm run bench:audit');
	});
});
