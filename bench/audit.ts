// npm run bench:audit [-- --db mysql] [--rows 1000000] [--users 2000] [--runs 15] [--plans]
// How the audit log's readers hold up on a large log: seeds a throw-away database (a temporary
// SQLite file, or a new database next to MYSQL_URL's, dropped at the end), then times the calls
// that read audit_log through the server-side caller, as a page would make them. `--plans`
// also prints the plan the database chose for every statement each call sent.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CompiledQuery } from 'kysely';
import type { DatabaseDialect } from '../src/lib/server/config';
import { migrateToLatest } from '../src/lib/server/db/migrator';
import { createMailer } from '../src/lib/server/mail';
import { createContextInner } from '../src/lib/server/trpc/context';
import { createCaller } from '../src/lib/server/trpc/router';
import { loadMigrations } from '../scripts/load-migrations';
import { seedAuditVolume } from '../tools/audit-volume';
import { createTestDatabase } from '../tools/databases';
import { captureQueries, explain, formatPlan } from '../tools/query-plans';

const USAGE =
	'usage: npm run bench:audit -- [--db sqlite|mysql] [--rows N] [--users N] [--runs N] [--plans]';

const log = (message: string) => console.error(`[bench:audit] ${message}`);

type Caller = ReturnType<typeof createCaller>;

interface Options {
	dialect: DatabaseDialect;
	rows: number;
	users: number;
	runs: number;
	plans: boolean;
}

function parseOptions(args: string[]): Options | string {
	try {
		const { values } = parseArgs({
			args,
			strict: true,
			options: {
				db: { type: 'string', default: 'sqlite' },
				rows: { type: 'string', default: '1000000' },
				users: { type: 'string', default: '2000' },
				runs: { type: 'string', default: '15' },
				plans: { type: 'boolean', default: false }
			}
		});
		const [rows, users, runs] = [values.rows, values.users, values.runs].map(Number);
		if (values.db !== 'sqlite' && values.db !== 'mysql') return '--db: sqlite or mysql';
		if (values.db === 'mysql' && !process.env.MYSQL_URL) return '--db mysql needs MYSQL_URL';
		for (const [name, value] of Object.entries({ rows, users, runs })) {
			if (!Number.isSafeInteger(value) || value! < 1) return `--${name}: a positive integer`;
		}
		return { dialect: values.db, rows: rows!, users: users!, runs: runs!, plans: values.plans };
	} catch (error) {
		return error instanceof Error ? error.message : String(error);
	}
}

async function main(): Promise<number> {
	const options = parseOptions(process.argv.slice(2));
	if (typeof options === 'string') {
		console.error(`${options}\n${USAGE}`);
		return 2;
	}
	const capture = captureQueries();
	const database = await createTestDatabase(options.dialect, {
		label: 'bench',
		db: { log: capture.log }
	});
	const { db } = database;
	try {
		await migrateToLatest(db, await loadMigrations());
		log(`seeding ${options.users} users and ${options.rows} audit rows (${options.dialect})`);
		const started = performance.now();
		const volume = await seedAuditVolume(db, {
			rows: options.rows,
			users: options.users,
			onProgress: (inserted) => {
				if (inserted % 100_000 === 0) log(`${inserted} rows`);
			}
		});
		// As a server's tables would be: MySQL keeps index statistics; the app never runs ANALYZE
		// on SQLite, so neither does this.
		if (options.dialect === 'mysql')
			await db.executeQuery(CompiledQuery.raw('analyze table audit_log, users'));
		capture.take();
		log(`seeded in ${((performance.now() - started) / 1000).toFixed(0)} s`);

		const mailer = createMailer({
			transport: 'outbox',
			from: 'Bench <bench@localhost>',
			db
		});
		const callerAs = (id: string, role: 'admin' | 'member'): Caller =>
			createCaller(
				createContextInner({
					db,
					dialect: options.dialect,
					mailer,
					user: { id, username: id, email: null, role },
					session: {
						publicId: 'bench',
						state: 'verified',
						expiresAt: null,
						verifiedAt: new Date(),
						lastSeenAt: new Date(),
						enrolmentRequired: false
					},
					sessionToken: 'bench',
					sessionTransport: 'bearer'
				})
			);
		const member = callerAs(volume.memberId, 'member');
		const admin = callerAs(volume.adminId, 'admin');
		const calls: Array<[string, () => Promise<unknown>]> = [
			[
				"users.history, a member's own, page 1",
				() => member.users.history({ id: volume.memberId })
			],
			['audit.list, page 1', () => admin.audit.list({})],
			['audit.list, page 1, event login.failed', () => admin.audit.list({ event: 'login.failed' })],
			['audit.list, page 1, a member', () => admin.audit.list({ userId: volume.memberId })],
			['audit.list, page 1, an admin', () => admin.audit.list({ userId: volume.adminId })],
			['audit.dashboard', () => admin.audit.dashboard()]
		];

		const rows: string[] = [];
		for (const [label, call] of calls) {
			for (let i = 0; i < 3; i++) await call();
			capture.take();
			const times: number[] = [];
			for (let i = 0; i < options.runs; i++) {
				const start = performance.now();
				await call();
				times.push(performance.now() - start);
			}
			times.sort((a, b) => a - b);
			const median = times[Math.floor(times.length / 2)]!;
			rows.push(`| ${label} | ${median.toFixed(1)} | ${times.at(-1)!.toFixed(1)} |`);
			if (options.plans) {
				capture.take();
				await call();
				console.log(`\n### ${label}\n`);
				for (const query of capture.take()) {
					const steps = await explain(db, options.dialect, query);
					console.log(formatPlan(query, steps), '\n');
				}
			}
		}
		console.log(
			`\n${options.dialect}, ${options.rows} audit rows, ${options.users} users, ` +
				`${options.runs} runs per call (ms)\n\n| call | median | max |\n| --- | --- | --- |`
		);
		console.log(rows.join('\n'));
		return 0;
	} finally {
		await database.drop();
	}
}

process.exitCode = await main();
