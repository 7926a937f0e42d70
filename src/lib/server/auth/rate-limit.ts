// Fixed-window counters in the database, so every app instance shares them. A hit is counted
// *before* the guarded work runs, and learns the count its own increment made: concurrent
// requests can never all slip under the limit, nor all be refused by each other's hits.
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
	MysqlAdapter,
	sql,
	type DeleteQueryBuilder,
	type DeleteResult,
	type Kysely,
	type SelectQueryBuilder
} from 'kysely';
import type { Database } from '../db/schema';
import { isUniqueViolation } from '../db/errors';

/** Windows that started this long ago are never asked about again (the longest is an hour). */
const RETENTION_MS = 24 * 60 * 60 * 1000;
/**
 * Expired windows one sweep batch finds (it deletes them and any other expired windows of their
 * buckets): short locks on MySQL, short blocking on SQLite.
 */
export const SWEEP_BATCH = 1000;

export interface Hit {
	bucket: string;
	windowStart: number;
	/** Hits in this window, this one included. */
	count: number;
	/** Milliseconds until the window closes. */
	retryAfterMs: number;
}

export async function hit(
	db: Kysely<Database>,
	bucket: string,
	windowMs: number,
	now = Date.now()
): Promise<Hit> {
	const windowStart = now - (now % windowMs);
	let count = await increment(db, bucket, windowStart);
	if (count === null) {
		try {
			// Old windows are swept by the periodic cleanup (deleteExpiredWindows), never here: a
			// request must not pay for, or wait on, the whole table.
			await db
				.insertInto('rate_limits')
				.values({ bucket, window_start: windowStart, hits: 1 })
				.execute();
			count = 1;
		} catch (error) {
			// Another request opened the window first: count on top of it.
			if (!isUniqueViolation(error)) throw error;
			count = await increment(db, bucket, windowStart);
			if (count === null) throw error;
		}
	}
	return { bucket, windowStart, count, retryAfterMs: windowStart + windowMs - now };
}

/**
 * Adds one to a window and returns the count this very increment made (null: no such window).
 * Read in the same statement, so concurrent hits each see their own place in line, never one
 * another's: SQLite returns it (`RETURNING`); MySQL has no `UPDATE ... RETURNING`, but hands a
 * `LAST_INSERT_ID(expr)` value back in the statement's own reply, per connection.
 */
async function increment(
	db: Kysely<Database>,
	bucket: string,
	windowStart: number
): Promise<number | null> {
	if (db.getExecutor().adapter instanceof MysqlAdapter) {
		const result = await sql`update rate_limits set hits = last_insert_id(hits + 1)
			where bucket = ${bucket} and window_start = ${windowStart}`.execute(db);
		return result.numAffectedRows === 1n ? Number(result.insertId) : null;
	}
	const row = await db
		.updateTable('rate_limits')
		.set((eb) => ({ hits: eb('hits', '+', 1) }))
		.where('bucket', '=', bucket)
		.where('window_start', '=', windowStart)
		.returning('hits')
		.executeTakeFirst();
	return row ? row.hits : null;
}

export type Limited = { ok: true; counted: Hit } | { ok: false; retryAfterMs: number };

/**
 * A hit against a limit of `max` per window. A window that is already full refuses with one
 * indexed read and no write (no row lock, no log or WAL write), so a client that keeps knocking
 * costs next to nothing. The read only ever refuses early: what lets a try through is the count
 * after its own increment, so concurrent tries still cannot all slip under the limit. A try
 * refused after counting stays counted.
 */
export async function hitWithin(
	db: Kysely<Database>,
	bucket: string,
	windowMs: number,
	max: number,
	now = Date.now()
): Promise<Limited> {
	const windowStart = now - (now % windowMs);
	const seen = await db
		.selectFrom('rate_limits')
		.select('hits')
		.where('bucket', '=', bucket)
		.where('window_start', '=', windowStart)
		.executeTakeFirst();
	const retryAfterMs = windowStart + windowMs - now;
	if (seen && seen.hits >= max) return { ok: false, retryAfterMs };
	const counted = await hit(db, bucket, windowMs, now);
	return counted.count <= max ? { ok: true, counted } : { ok: false, retryAfterMs };
}

/** Takes back a hit that turned out not to count (e.g. the password was right). */
export async function release(db: Kysely<Database>, counted: Hit): Promise<void> {
	await db
		.updateTable('rate_limits')
		.set((eb) => ({ hits: eb('hits', '-', 1) }))
		.where('bucket', '=', counted.bucket)
		.where('window_start', '=', counted.windowStart)
		.where('hits', '>', 0)
		.execute();
}

/**
 * The sweep's first step: up to SWEEP_BATCH windows nobody will ask about again, oldest first,
 * read through `rate_limits_window_start_idx` alone. Exported, like the next one, so a test can
 * check the plan of the real statement.
 */
export function selectExpiredWindows(
	db: Kysely<Database>,
	cutoff: number
): SelectQueryBuilder<Database, 'rate_limits', { bucket: string; window_start: number }> {
	return db
		.selectFrom('rate_limits')
		.select(['bucket', 'window_start'])
		.where('window_start', '<', cutoff)
		.orderBy('window_start')
		.limit(SWEEP_BATCH);
}

/** The second step: those buckets' expired windows, found by primary key. */
export function deleteExpiredWindowsOf(
	db: Kysely<Database>,
	buckets: string[],
	cutoff: number
): DeleteQueryBuilder<Database, 'rate_limits', DeleteResult> {
	return db
		.deleteFrom('rate_limits')
		.where('bucket', 'in', buckets)
		.where('window_start', '<', cutoff);
}

/**
 * Deletes expired windows a batch at a time until none is left, letting other work run between
 * batches: after a flood there may be many, and one statement deleting them all would hold its
 * locks (and a MySQL/Galera write set) that long, or block SQLite's event loop as long. Found
 * first, then deleted by key: a DELETE with the range itself may scan the whole table on MariaDB
 * (its estimate counts rows deleted a moment ago and not yet purged), locking every row it reads.
 * Returns how many rows went.
 */
export async function deleteExpiredWindows(
	db: Kysely<Database>,
	now = Date.now()
): Promise<number> {
	const cutoff = now - RETENTION_MS;
	let deleted = 0;
	for (;;) {
		const expired = await selectExpiredWindows(db, cutoff).execute();
		if (expired.length === 0) return deleted;
		const buckets = [...new Set(expired.map((row) => row.bucket))];
		const result = await deleteExpiredWindowsOf(db, buckets, cutoff).executeTakeFirst();
		deleted += Number(result.numDeletedRows);
		if (expired.length < SWEEP_BATCH) return deleted;
		await nextTurn();
	}
}
