// npm test: builds the production app, then runs every test tier (unit, integration, e2e).
// A tier the machine cannot run is announced loudly; under CI=true it fails the run instead.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const isCI = process.env.CI === 'true' || process.env.CI === '1';
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const mysqlUrl = process.env.MYSQL_URL || process.env.TEST_MYSQL_URL;

const missing = [];
if (!mysqlUrl)
	missing.push('MySQL integration tier: set MYSQL_URL=mysql://root@127.0.0.1:3306/test');
if (!existsSync(chromium))
	missing.push(`e2e tier: ${chromium} not found (apt-get install chromium)`);

for (const line of missing) console.error(`${isCI ? 'CANNOT RUN' : 'SKIPPING'} ${line}`);
if (isCI && missing.length > 0) {
	console.error('Under CI every tier must run.');
	process.exit(1);
}

/** @param {string} command @param {string[]} args @returns {number} */
function run(command, args) {
	return spawnSync(command, args, { stdio: 'inherit' }).status ?? 1;
}

// e2e and HTTP integration tests drive `node build`, so it must match the source being tested.
const buildStatus = run('npx', ['vite', 'build', '--logLevel', 'warn']);
if (buildStatus !== 0) process.exit(buildStatus);

const resultsDir = mkdtempSync(join(tmpdir(), 'vitest-'));
const resultsFile = join(resultsDir, 'results.json');
const status = run('npx', [
	'vitest',
	'run',
	'--reporter=default',
	'--reporter=json',
	`--outputFile.json=${resultsFile}`,
	...process.argv.slice(2)
]);

if (existsSync(resultsFile)) {
	const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
	// A plain closing line that any CI can read.
	console.log(`\n${results.numPassedTests} passed, ${results.numFailedTests} failed`);
}
rmSync(resultsDir, { recursive: true, force: true });
if (missing.length > 0) {
	console.error(`\nNot every tier ran:\n${missing.map((line) => `  - ${line}`).join('\n')}`);
}
process.exit(status);
