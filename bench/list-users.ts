// npx tsx bench/list-users.ts [--db sqlite|mysql] [--calls 2000] [--concurrency 10] [--rounds 3]
//   [--db-pid <pid>]
// The users list service alone (listUsers: the users page's query, a page of 50 and the total),
// in this process, on a throw-away database seeded as `npm run bench` seeds it (10,000 users):
// what a change to the list's SQL, indexes or database handle buys, without HTTP in the way.
// MySQL uses MYSQL_URL, and a pool opened as the server opens its own. Per round: calls a second,
// latency (p10, p50), and CPU per call of this process and, with --db-pid (Linux), of the MariaDB
// server: all of its threads, so give a server no one else is using.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { userListSchema } from '../src/lib/schemas/users';
import { SERVER_POOL_LIMITS } from '../src/lib/server/db/create-db';
import { migrateToLatest } from '../src/lib/server/db/migrator';
import { listUsers } from '../src/lib/server/services/user-directory';
import { loadMigrations } from '../scripts/load-migrations';
import { createTestDatabase } from '../tools/databases';
import { testDeps } from '../tools/service-deps';
import { seedUsers } from './database';

const { values } = parseArgs({
	options: {
		db: { type: 'string', default: 'sqlite' },
		calls: { type: 'string', default: '2000' },
		concurrency: { type: 'string', default: '10' },
		rounds: { type: 'string', default: '3' },
		'db-pid': { type: 'string' }
	}
});
const dialect = values.db === 'mysql' ? 'mysql' : 'sqlite';
const calls = Number(values.calls);
const concurrency = Number(values.concurrency);
const QUERY = userListSchema.parse({ pageSize: 50 });

/** CPU time (user + system) of process `pid` so far, in microseconds; 0 when unknown. */
function processCpuMicros(pid: string | undefined): number {
	if (!pid) return 0;
	// Fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 a second on Linux).
	const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
	return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const database = await createTestDatabase(dialect, {
	label: 'bench',
	db: { limits: SERVER_POOL_LIMITS }
});
try {
	await migrateToLatest(database.db, await loadMigrations());
	await seedUsers(database.db, 10_000);
	const deps = testDeps(database.db);
	for (let i = 0; i < 200; i++) await listUsers(deps, QUERY);

	for (let round = 1; round <= Number(values.rounds); round++) {
		let left = calls;
		const times: number[] = [];
		const cpu = process.cpuUsage();
		const dbCpu = processCpuMicros(values['db-pid']);
		const start = performance.now();
		await Promise.all(
			Array.from({ length: concurrency }, async () => {
				while (left-- > 0) {
					const callStart = performance.now();
					await listUsers(deps, QUERY);
					times.push(performance.now() - callStart);
				}
			})
		);
		const elapsed = performance.now() - start;
		const { user, system } = process.cpuUsage(cpu);
		times.sort((a, b) => a - b);
		const ms = (at: number) => times[Math.floor(calls * at)]!.toFixed(2);
		console.log(
			`${dialect} round ${round}: ${Math.round((calls / elapsed) * 1000)} calls/s,` +
				` p10 ${ms(0.1)} ms, p50 ${ms(0.5)} ms, this process ${Math.round((user + system) / calls)} µs` +
				` CPU a call` +
				(values['db-pid']
					? `, database ${Math.round((processCpuMicros(values['db-pid']) - dbCpu) / calls)} µs`
					: '')
		);
	}
} finally {
	await database.drop();
}
