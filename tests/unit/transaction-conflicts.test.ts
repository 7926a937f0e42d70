// A transaction the database gives up to resolve a conflict (MySQL's deadlock victim, SQLite's
// busy snapshot) is run again from the start; if it keeps losing, the caller answers "busy, try
// again" (503 with Retry-After), never a 500.
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '$lib/server/db/schema';
import { decidingTransaction, jitteredWait } from '$lib/server/db/transaction';
import { ServerBusyError } from '$lib/server/errors';
import { toTRPCError } from '$lib/server/trpc/error-map';

/** What mysql2 throws for a deadlock victim (errno 1213). */
function deadlock(): Error {
	return Object.assign(new Error('Deadlock found when trying to get lock'), {
		code: 'ER_LOCK_DEADLOCK',
		errno: 1213
	});
}

/** A database whose transactions just run their work, counting how often they are started. */
function countingDb() {
	const db = {
		started: 0,
		transaction: () => ({
			execute: (work: (trx: unknown) => Promise<unknown>) => {
				db.started++;
				return work(db);
			}
		})
	};
	return db;
}

describe('a transaction that loses a conflict', () => {
	it('loses once, then commits [run twice; the second run answers]', async () => {
		const db = countingDb();
		const result = await decidingTransaction(db as unknown as Kysely<Database>, async () => {
			if (db.started === 1) throw deadlock();
			return 'decided';
		});
		expect(result).toBe('decided');
		expect(db.started).toBe(2);
	});

	it('loses five times in a row [five runs, then the conflict goes to the caller]', async () => {
		const db = countingDb();
		const run = decidingTransaction(db as unknown as Kysely<Database>, async () => {
			throw deadlock();
		});
		await expect(run).rejects.toMatchObject({ code: 'ER_LOCK_DEADLOCK' });
		expect(db.started).toBe(5);
	});

	it('fails for another reason [run once: only conflicts are worth running again]', async () => {
		const db = countingDb();
		const run = decidingTransaction(db as unknown as Kysely<Database>, async () => {
			throw Object.assign(new Error('Duplicate entry'), { code: 'ER_DUP_ENTRY' });
		});
		await expect(run).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
		expect(db.started).toBe(1);
	});

	it('reaches the procedure layer [busy: 503 with retryAfter 1, not a 500]', () => {
		const mapped = toTRPCError(deadlock());
		expect(mapped?.code).toBe('TOO_MANY_REQUESTS');
		expect(mapped?.cause).toBeInstanceOf(ServerBusyError);
		expect((mapped?.cause as ServerBusyError).retryAfterSeconds).toBe(1);
		expect(toTRPCError(Object.assign(new Error('boom'), { code: 'ER_BAD_FIELD_ERROR' }))).toBe(
			null
		);
	});
});

describe('the wait before running again', () => {
	it('is random and grows with each lost round [full jitter, within 0..4*2^(n-1) ms]', () => {
		for (const attempt of [1, 2, 3, 4]) {
			const waits = Array.from({ length: 200 }, () => jitteredWait(attempt));
			const bound = 4 * 2 ** (attempt - 1);
			expect(Math.max(...waits)).toBeLessThanOrEqual(bound);
			expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
			// Not one fixed delay: two colliding transactions would only collide again.
			expect(new Set(waits).size).toBeGreaterThan(100);
		}
	});
});
