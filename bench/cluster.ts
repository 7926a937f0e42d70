// npm run bench:cluster [-- --seconds 10] [--connections 8] [--no-build]
// Sign-in on a two-node Galera cluster beside one MariaDB server (issue 23): in both setups two
// app instances (`node build`, one process each) take the sign-ins in turn; on the cluster each
// instance talks to its own node, on one server both talk to the same one. So the difference is
// the database alone: Galera's certification at every COMMIT, and the conflicts it turns into
// retries. Prints full sign-ins alone (median milliseconds of the password step and the code
// step) and under load (sign-ins a second, end-to-end p50/p99, answers that were not 200).
// Needs MYSQL_URL (the single server) and scripts/galera.sh's requirements (galera-4, root);
// GALERA_URLS=url1,url2 uses a cluster that is already running.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startAppServer, type AppServer } from '../tools/app-server';
import { createTestDatabase, mysqlBaseUrl, type TestDatabase } from '../tools/databases';
import { createClusterDatabase } from '../tools/galera';
import { startSmtpSink, type SmtpSink } from '../tools/smtp-sink';
import { memberAt, seedUsers } from './database';
import { signIn } from './http';

const { values: args } = parseArgs({
	options: {
		seconds: { type: 'string', default: '10' },
		connections: { type: 'string', default: '8' },
		alone: { type: 'string', default: '20' },
		'no-build': { type: 'boolean', default: false }
	}
});
const seconds = Number(args.seconds);
const connections = Number(args.connections);
const aloneRuns = Number(args.alone);
if (![seconds, connections, aloneRuns].every((n) => Number.isInteger(n) && n > 0)) {
	console.error('--seconds, --connections and --alone take whole numbers above 0');
	process.exit(2);
}
const single = mysqlBaseUrl();
if (!single) {
	console.error('MYSQL_URL is required (the single MariaDB server to compare with)');
	process.exit(2);
}

// Each sign-in takes a member of its own (its code is read from the sink by recipient).
const MEMBERS = 4_000;

interface Figures {
	setup: string;
	aloneLoginMs: number;
	aloneVerifyMs: number;
	perSecond: number;
	p50Ms: number;
	p99Ms: number;
	notOk: number;
	total: number;
	/** What the sign-ins that did not finish were told, and how often. */
	failures: Record<string, number>;
}

const log = (line: string) => console.error(`[bench:cluster] ${line}`);
const median = (values: number[]) => percentile(values, 0.5);

function percentile(values: number[], p: number): number {
	if (values.length === 0) return Number.NaN;
	const sorted = [...values].sort((x, y) => x - y);
	return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function measure(setup: string, urls: string[], handle: TestDatabase): Promise<Figures> {
	log(`${setup}: seeding ${MEMBERS} members`);
	const sink = await startSmtpSink();
	const env = { MAIL_TRANSPORT: 'smtp', SMTP_URL: sink.url };
	const servers: AppServer[] = [];
	try {
		servers.push(await startAppServer({ ...env, DATABASE_URL: urls[0], MIGRATE_ON_START: 'true' }));
		await seedUsers(handle.db, MEMBERS);
		servers.push(
			await startAppServer({ ...env, DATABASE_URL: urls.at(-1), MIGRATE_ON_START: 'false' })
		);
		let next = 0;
		const take = () => memberAt(next++).username;
		const on = (i: number) => servers[i % servers.length]!.origin;

		log(`${setup}: ${aloneRuns} sign-ins one after another`);
		const alone = [];
		for (let i = 0; i < aloneRuns; i++) alone.push(await signIn(on(i), sink, take()));

		log(`${setup}: ${connections} connections for ${seconds} s`);
		const ends: number[] = [];
		let notOk = 0;
		const failures: Record<string, number> = {};
		const until = performance.now() + seconds * 1000;
		await Promise.all(
			Array.from({ length: connections }, async (_, c) => {
				for (let i = c; performance.now() < until; i += connections) {
					try {
						ends.push((await signIn(on(i), sink, take())).endToEndMs);
					} catch (error) {
						notOk++;
						const reason = error instanceof Error ? error.message : String(error);
						failures[reason] = (failures[reason] ?? 0) + 1;
					}
				}
			})
		);
		return {
			setup,
			aloneLoginMs: median(alone.map((run) => run.loginMs)),
			aloneVerifyMs: median(alone.map((run) => run.verifyMs)),
			perSecond: ends.length / seconds,
			p50Ms: percentile(ends, 0.5),
			p99Ms: percentile(ends, 0.99),
			notOk,
			total: ends.length + notOk,
			failures
		};
	} finally {
		await stopAll(sink, servers);
	}
}

async function stopAll(sink: SmtpSink, servers: AppServer[]): Promise<void> {
	await sink.stop();
	await Promise.all(servers.map((server) => server.stop()));
}

function startCluster(): { urls: string[]; stop: () => void } {
	const given = process.env.GALERA_URLS?.split(',').map((url) => url.trim());
	if (given) return { urls: given, stop: () => {} };
	log('starting a two-node Galera cluster (scripts/galera.sh)');
	const urls = execFileSync('bash', ['scripts/galera.sh', 'start'], { encoding: 'utf8' })
		.trim()
		.split('\n');
	return { urls, stop: () => execFileSync('bash', ['scripts/galera.sh', 'stop']) };
}

const ms = (value: number) => value.toFixed(1).padStart(8);

if (!args['no-build'] || !existsSync('build/index.js')) {
	log('building');
	if (
		spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' }).status !== 0
	) {
		process.exit(1);
	}
}
const cluster = startCluster();
const results: Figures[] = [];
try {
	const one = await createTestDatabase('mysql', { label: 'bench' });
	try {
		results.push(await measure('one MariaDB, 2 instances', [one.url], one));
	} finally {
		await one.drop();
	}
	const galera = await createClusterDatabase(cluster.urls);
	try {
		results.push(await measure('Galera 2 nodes, 1 instance each', galera.urls, galera.database));
	} finally {
		await galera.database.drop();
	}
} finally {
	cluster.stop();
}

console.log(
	`\nSign-in, two app instances (${connections} connections, ${seconds} s; alone: median of ${aloneRuns})\n`
);
console.log(
	'setup                              alone: password ms   code ms | sign-ins/s   p50 ms   p99 ms   not 200'
);
for (const r of results) {
	console.log(
		`${r.setup.padEnd(35)}${ms(r.aloneLoginMs).padStart(18)}${ms(r.aloneVerifyMs).padStart(10)} |` +
			`${r.perSecond.toFixed(1).padStart(12)}${ms(r.p50Ms).padStart(9)}${ms(r.p99Ms).padStart(9)}` +
			`${`${r.notOk}/${r.total}`.padStart(10)}`
	);
}
for (const r of results) {
	for (const [reason, count] of Object.entries(r.failures)) {
		console.log(`  ${r.setup}: ${count} x ${reason}`);
	}
}
