// The password step's limits (README "Sign-in and its limits"; src/lib/server/auth/policy.ts):
// per address (IPv6: per /64), per account and address, per account. A try is counted before the
// password is checked, broadest limit first; a try one limit refuses touches no later bucket and
// gives back what the earlier ones took. So one address cannot lock an account out for everyone,
// and a flood from an address over its limit adds no rows, however many names it tries.
import { CompiledQuery, SqliteAdapter, sql, type Compilable, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { deleteExpiredAuthRows } from '$lib/server/auth/cleanup';
import { getPolicy } from '$lib/server/auth/policy';
import {
	deleteExpiredWindowsOf,
	hit,
	selectExpiredWindows,
	SWEEP_BATCH
} from '$lib/server/auth/rate-limit';
import type { Database } from '$lib/server/db/schema';
import { advanceClock, errorOf, useApiHarness, type Caller } from '../helpers/api-harness';
import { createMigratedDatabase, dialects } from '../../tools/databases';
import { seedUser, waitForCode } from '../../tools/sign-in';

const { login: limits } = getPolicy();
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** Freezes the clock just after the top of an hour, so every fixed window of a test is one. */
function atStartOfHour(): void {
	advanceClock(HOUR - (Date.now() % HOUR) + 1000);
}

async function rateLimitRows(db: Kysely<Database>): Promise<number> {
	const row = await db
		.selectFrom('rate_limits')
		.select((eb) => eb.fn.countAll<number | string>().as('rows'))
		.executeTakeFirstOrThrow();
	return Number(row.rows);
}

async function hitsOf(db: Kysely<Database>, bucket: string): Promise<number | null> {
	const row = await db
		.selectFrom('rate_limits')
		.select('hits')
		.where('bucket', '=', bucket)
		.executeTakeFirst();
	return row?.hits ?? null;
}

/**
 * The query plan of a statement, one line per step: SQLite's `EXPLAIN QUERY PLAN` details, or
 * MySQL's `EXPLAIN` access type and index for each table.
 */
async function planOf(db: Kysely<Database>, statement: Compilable): Promise<string[]> {
	const { sql: text, parameters } = statement.compile();
	const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
	const { rows } = await db.executeQuery<Record<string, unknown>>(
		CompiledQuery.raw((sqlite ? 'explain query plan ' : 'explain ') + text, [...parameters])
	);
	return rows.map((row) => (sqlite ? String(row.detail) : `${row.type} ${row.key}`));
}

/** How a wrong password ended: UNAUTHORIZED (checked) or TOO_MANY_REQUESTS (refused first). */
async function wrongPassword(caller: Caller, username: string): Promise<string> {
	return (await errorOf(caller.auth.login({ username, password: 'not the password' }))).code;
}

const times = (n: number, outcome: string): string[] => Array<string>(n).fill(outcome);

describe.each(dialects)('the password limits on %s', (dialect) => {
	const api = useApiHarness(dialect);

	describe('one address against one account', () => {
		it('101 wrong passwords for one account from one address [that address TOO_MANY_REQUESTS after 5; the owner signs in from another address]', async () => {
			atStartOfHour();
			const owner = await seedUser(api.db);
			const attacker = await api.callerFor(null, { ip: '198.51.100.1' });
			const outcomes: string[] = [];
			for (let i = 0; i < limits.perAccount + 1; i++) {
				outcomes.push(await wrongPassword(attacker, owner.username));
			}
			expect(outcomes).toEqual([
				...times(limits.perUsernameAndAddress, 'UNAUTHORIZED'),
				...times(limits.perAccount + 1 - limits.perUsernameAndAddress, 'TOO_MANY_REQUESTS')
			]);

			const elsewhere = await api.callerFor(null, { ip: '192.0.2.10' });
			const started = await elsewhere.auth.login({
				username: owner.username,
				password: owner.password,
				tokenType: 'bearer'
			});
			expect(started.status).toBe('otp_required');
			await waitForCode(api.sink, owner.email!);
		});

		it('15 wrong passwords for one name, then 16 other names, from one address [tries refused by the name limit count nowhere else: 15 more checked, the 16th TOO_MANY_REQUESTS]', async () => {
			atStartOfHour();
			const ip = '198.51.100.2';
			const attacker = await api.callerFor(null, { ip });
			const first: string[] = [];
			for (let i = 0; i < 15; i++) first.push(await wrongPassword(attacker, 'one-name'));
			expect(first).toEqual([
				...times(limits.perUsernameAndAddress, 'UNAUTHORIZED'),
				...times(15 - limits.perUsernameAndAddress, 'TOO_MANY_REQUESTS')
			]);
			// The 10 refused tries gave their address hit back: the address has 15 tries left.
			expect(await hitsOf(api.db, `pw:addr:${ip}`)).toBe(limits.perUsernameAndAddress);

			const others: string[] = [];
			const left = limits.perAddress - limits.perUsernameAndAddress;
			for (let i = 0; i <= left; i++) others.push(await wrongPassword(attacker, `other-${i}`));
			expect(others).toEqual([...times(left, 'UNAUTHORIZED'), 'TOO_MANY_REQUESTS']);
		});
	});

	describe('racing the limits', () => {
		it('24 wrong passwords at once for one account from 24 addresses, 95 failures already counted [at most 5 more checked; the rest TOO_MANY_REQUESTS]', async () => {
			atStartOfHour();
			const owner = await seedUser(api.db);
			const checked = limits.perAccount - limits.perUsernameAndAddress;
			for (let i = 0; i < checked; i++) {
				const caller = await api.callerFor(null, { ip: `198.18.0.${Math.floor(i / 5) + 1}` });
				expect(await wrongPassword(caller, owner.username)).toBe('UNAUTHORIZED');
			}
			const callers = await Promise.all(
				Array.from({ length: 24 }, (_, i) => api.callerFor(null, { ip: `198.18.1.${i + 1}` }))
			);
			const outcomes = await Promise.all(
				callers.map((caller) => wrongPassword(caller, owner.username))
			);
			const passed = outcomes.filter((outcome) => outcome === 'UNAUTHORIZED').length;
			expect(passed).toBeLessThanOrEqual(limits.perUsernameAndAddress);
			expect(outcomes.filter((outcome) => outcome === 'TOO_MANY_REQUESTS')).toHaveLength(
				24 - passed
			);
			const failures = await api.db
				.selectFrom('audit_log')
				.select('id')
				.where('event', '=', 'login.failed')
				.where('subject_id', '=', owner.id)
				.execute();
			expect(failures).toHaveLength(checked + passed);
		});

		it('30 wrong passwords at once for 30 fresh names from one address [at most 20 checked; the rest TOO_MANY_REQUESTS]', async () => {
			atStartOfHour();
			const ip = '198.51.100.3';
			const callers = await Promise.all(
				Array.from({ length: 30 }, () => api.callerFor(null, { ip }))
			);
			const outcomes = await Promise.all(
				callers.map((caller, i) => wrongPassword(caller, `race-name-${i}`))
			);
			const passed = outcomes.filter((outcome) => outcome === 'UNAUTHORIZED').length;
			expect(passed).toBeLessThanOrEqual(limits.perAddress);
			expect(outcomes.filter((outcome) => outcome === 'TOO_MANY_REQUESTS')).toHaveLength(
				30 - passed
			);
			const failures = await api.db
				.selectFrom('audit_log')
				.select('id')
				.where('event', '=', 'login.failed')
				.where('ip', '=', ip)
				.execute();
			expect(failures).toHaveLength(passed);
		});
	});

	describe('a flood of fresh names', () => {
		it('200 wrong passwords for 200 fresh names from one address [20 checked, 180 TOO_MANY_REQUESTS without a write; exactly 41 rate_limits rows added]', async () => {
			atStartOfHour();
			const ip = '198.51.100.4';
			const attacker = await api.callerFor(null, { ip });
			const rowsBefore = await rateLimitRows(api.db);
			const outcomes: string[] = [];
			for (let i = 0; i < 200; i++) outcomes.push(await wrongPassword(attacker, `flood-${i}`));
			expect(outcomes).toEqual([
				...times(limits.perAddress, 'UNAUTHORIZED'),
				...times(200 - limits.perAddress, 'TOO_MANY_REQUESTS')
			]);
			// The address's row, and the name+address and account rows of the 20 checked tries. The
			// 180 refused tries wrote nothing: they found the address's window full.
			expect((await rateLimitRows(api.db)) - rowsBefore).toBe(1 + 2 * limits.perAddress);
			expect(await hitsOf(api.db, `pw:addr:${ip}`)).toBe(limits.perAddress);
		});
	});

	describe('forgetting old windows', () => {
		/** Rows of windows that started two days ago: nobody will ask about them again. */
		async function insertOldWindows(count: number, now: number): Promise<void> {
			for (let start = 0; start < count; start += 500) {
				const rows = Array.from({ length: Math.min(500, count - start) }, (_, i) => ({
					bucket: `old:${start + i}`,
					window_start: now - 2 * DAY,
					hits: 1
				}));
				await api.db.insertInto('rate_limits').values(rows).execute();
			}
		}

		async function oldWindowRows(): Promise<number> {
			const row = await api.db
				.selectFrom('rate_limits')
				.select((eb) => eb.fn.countAll<number | string>().as('rows'))
				.where('bucket', 'like', 'old:%')
				.executeTakeFirstOrThrow();
			return Number(row.rows);
		}

		it('a password try that opens new windows, with windows two days old in the table [the try deletes nothing; the hourly cleanup deletes them, in batches]', async () => {
			const now = Date.now();
			const old = 2 * SWEEP_BATCH + 7;
			await insertOldWindows(old, now);
			const caller = await api.callerFor(null, { ip: '198.51.100.5' });
			expect(await wrongPassword(caller, 'opens-new-windows')).toBe('UNAUTHORIZED');
			expect(await oldWindowRows()).toBe(old);

			const rowsBefore = await rateLimitRows(api.db);
			await deleteExpiredAuthRows(api.db, now + 1000);
			expect(await oldWindowRows()).toBe(0);
			// The windows the try just opened stay.
			expect(await rateLimitRows(api.db)).toBe(rowsBefore - old);
			expect(await hitsOf(api.db, `pw:addr:198.51.100.5`)).toBe(1);
		});

		it('the sweep on a table of 3000 windows, 1000 of them deleted a moment ago [it finds old windows through rate_limits_window_start_idx and deletes them by primary key: no full scan]', async () => {
			// A database of its own: MariaDB's estimates count rows deleted and not yet purged, which
			// is what pushed a plain `DELETE ... WHERE window_start < ?` into a full scan.
			const database = await createMigratedDatabase(dialect);
			try {
				const now = Date.now();
				const windows = (prefix: string, count: number, start: (i: number) => number) =>
					Array.from({ length: count }, (_, i) => ({
						bucket: `${prefix}:${i}`,
						window_start: start(i),
						hits: 1
					}));
				for (let i = 0; i < 6; i++) {
					const live = windows(`live-${i}`, 500, (n) => now - (n % 96) * 15 * 60 * 1000);
					await database.db.insertInto('rate_limits').values(live).execute();
				}
				for (let i = 0; i < 2; i++) {
					const gone = windows(`gone-${i}`, 500, () => now - 2 * DAY);
					await database.db.insertInto('rate_limits').values(gone).execute();
				}
				await database.db.deleteFrom('rate_limits').where('bucket', 'like', 'gone-%').execute();
				if (dialect === 'mysql') await sql`analyze table rate_limits`.execute(database.db);

				const cutoff = now - DAY;
				const find = await planOf(database.db, selectExpiredWindows(database.db, cutoff));
				const remove = await planOf(
					database.db,
					deleteExpiredWindowsOf(database.db, ['live-0:1', 'live-0:2'], cutoff)
				);
				if (dialect === 'sqlite') {
					expect(find).toEqual([
						'SEARCH rate_limits USING INDEX rate_limits_window_start_idx (window_start<?)'
					]);
					expect(remove).toEqual([
						'SEARCH rate_limits USING INDEX sqlite_autoindex_rate_limits_1 (bucket=? AND window_start<?)'
					]);
				} else {
					expect(find).toEqual(['range rate_limits_window_start_idx']);
					expect(remove).toEqual(['range PRIMARY']);
				}
			} finally {
				await database.drop();
			}
		});
	});

	describe('counters under concurrency', () => {
		it('50 hits on one window at once, 5 rounds [each learns its own place: the counts are exactly 1 to 50, so a limit of n lets exactly n through]', async () => {
			const database = await createMigratedDatabase(dialect);
			try {
				for (let round = 0; round < 5; round++) {
					const counts = await Promise.all(
						Array.from({ length: 50 }, () => hit(database.db, `burst-${round}`, HOUR))
					);
					expect(counts.map((counted) => counted.count).sort((a, b) => a - b)).toEqual(
						Array.from({ length: 50 }, (_, i) => i + 1)
					);
				}
			} finally {
				await database.drop();
			}
		});
	});
});
