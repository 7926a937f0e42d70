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
// The cluster tier starts a two-node Galera cluster (scripts/galera.sh) from Debian's packages.
for (const [file, what] of /** @type {const} */ ([
	['/usr/lib/galera/libgalera_smm.so', 'galera-4'],
	['/usr/bin/rsync', 'rsync']
])) {
	if (!existsSync(file)) {
		missing.push(`cluster tier: ${file} not found (apt-get install ${what})`);
	}
}
for (const tool of ['curl', 'jq']) {
	if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) {
		missing.push(
			`the README's shell example (integration): ${tool} not found (apt-get install ${tool})`
		);
	}
}

for (const line of missing) console.error(`${isCI ? 'CANNOT RUN' : 'SKIPPING'} ${line}`);
if (isCI && missing.length > 0) {
	console.error('Under CI every tier must run.');
	process.exit(1);
}

/** @param {string} command @param {string[]} args @returns {number} */
function run(command, args) {
	return spawnSync(command, args, { stdio: 'inherit' }).status ?? 1;
}

// e2e and HTTP integration tests drive the production server, so the build must match the source.
const buildStatus = run('npx', ['vite', 'build', '--logLevel', 'warn']);
if (buildStatus !== 0) process.exit(buildStatus);

// Tests never change the working tree (the README's screenshots have their own script).
const treeBefore = workingTreeStatus();

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
	printSecuritySummary(results);
	// A plain closing line that any CI can read.
	console.log(`\n${results.numPassedTests} passed, ${results.numFailedTests} failed`);
}
rmSync(resultsDir, { recursive: true, force: true });
if (missing.length > 0) {
	console.error(`\nNot every tier ran:\n${missing.map((line) => `  - ${line}`).join('\n')}`);
}
const treeAfter = workingTreeStatus();
if (treeBefore !== treeAfter) {
	console.error(`\nThe tests changed the working tree (git status before and after):`);
	console.error(`before:\n${treeBefore || '  (clean)'}\nafter:\n${treeAfter || '  (clean)'}`);
	process.exit(status || 1);
}
process.exit(status);

/**
 * `git status --porcelain`, untracked files included; null outside a git checkout.
 * @returns {string | null}
 */
function workingTreeStatus() {
	const result = spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], {
		encoding: 'utf8'
	});
	return result.status === 0 ? result.stdout : null;
}

/**
 * The security tier's titles name an attack or fault and its expected outcome in brackets, so
 * listing them (one line per attack, with the databases it held on) is the suite's report.
 * @param {{ testResults: Array<{ name: string, assertionResults: Array<{ ancestorTitles: string[], title: string, status: string }> }> }} results
 */
function printSecuritySummary(results) {
	const files = results.testResults
		.filter((file) => file.name.includes('/tests/security/'))
		.sort((a, b) => a.name.localeCompare(b.name));
	if (files.length === 0) return;
	const totals = { passed: 0, failed: 0 };
	console.log('\nSecurity suite: attacks and faults tried, and what happened');
	for (const file of files) {
		/** @type {Map<string, string[]>} */
		const lines = new Map();
		for (const test of file.assertionResults) {
			if (test.status !== 'passed' && test.status !== 'failed') continue;
			totals[test.status]++;
			const dialect = test.ancestorTitles.find((title) => /^(sqlite|mysql)$/i.test(title));
			const context = test.ancestorTitles.filter((title) => title !== dialect);
			const key = [...context, test.title].join(' > ');
			const mark = `${test.status === 'passed' ? 'held' : 'FAILED'}${dialect ? ` on ${dialect}` : ''}`;
			lines.set(key, [...(lines.get(key) ?? []), mark]);
		}
		console.log(`  ${file.name.slice(file.name.indexOf('tests/security/'))}`);
		for (const [key, marks] of lines) console.log(`    ${key}  (${marks.join(', ')})`);
	}
	console.log(`Security suite: ${totals.passed} held, ${totals.failed} failed`);
}
