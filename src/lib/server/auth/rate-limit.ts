// Fixed-window counters in the database, so every app instance shares them. A hit is counted
// *before* the guarded work runs: concurrent requests can never all slip under the limit.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { isUniqueViolation } from '../db/errors';

const DAY = 24 * 60 * 60 * 1000;

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
	const increment = () =>
		db
			.updateTable('rate_limits')
			.set((eb) => ({ hits: eb('hits', '+', 1) }))
			.where('bucket', '=', bucket)
			.where('window_start', '=', windowStart)
			.executeTakeFirst();

	if (Number((await increment()).numUpdatedRows) === 0) {
		try {
			await db
				.insertInto('rate_limits')
				.values({ bucket, window_start: windowStart, hits: 1 })
				.execute();
			// A new window is a good moment to forget windows nobody will ask about again.
			await db
				.deleteFrom('rate_limits')
				.where('window_start', '<', now - DAY)
				.execute();
		} catch (error) {
			// Another request opened the window first: count on top of it.
			if (!isUniqueViolation(error)) throw error;
			await increment();
		}
	}
	const row = await db
		.selectFrom('rate_limits')
		.select('hits')
		.where('bucket', '=', bucket)
		.where('window_start', '=', windowStart)
		.executeTakeFirstOrThrow();
	return { bucket, windowStart, count: row.hits, retryAfterMs: windowStart + windowMs - now };
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
