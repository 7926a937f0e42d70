// Transactions that decide something (spend a code, claim a cooldown, stay under a cap) may lose a
// conflict with a concurrent one: MySQL then rolls one of them back as a deadlock victim, and on a
// multi-primary Galera cluster the loser may learn it only at COMMIT, after every statement in it
// reported success. Only a committed transaction counts: a lost one changed nothing, so it runs
// again from the start, sees what the winner committed and decides again ("already spent",
// "at the cap"). After a few lost rounds the conflict goes to the caller, which answers "busy"
// (503 with Retry-After), never a 500.
// Work that must wait for the commit (waking the mail sender for the rows a change queued) is
// registered with `afterCommit` and runs only once the transaction committed, never after a
// rollback.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema';
import { isTransactionConflict } from './errors';

const ATTEMPTS = 5;
/** The first wait before running again; each further one doubles. */
const FIRST_WAIT_MS = 4;

/** The hooks of each transaction that runTransaction opened and that has not ended yet. */
const commitHooks = new WeakMap<object, Array<() => void>>();

/** `work` in one transaction, then (once it committed) the hooks `afterCommit` registered in it. */
export async function runTransaction<T>(
	db: Kysely<Database>,
	work: (trx: Transaction<Database>) => Promise<T>
): Promise<T> {
	const hooks: Array<() => void> = [];
	const result = await db.transaction().execute((trx) => {
		commitHooks.set(trx, hooks);
		return work(trx);
	});
	for (const hook of hooks) hook();
	return result;
}

/** `work` in one transaction, run again (at most five times in all) after a conflict. */
export async function decidingTransaction<T>(
	db: Kysely<Database>,
	work: (trx: Transaction<Database>) => Promise<T>
): Promise<T> {
	for (let attempt = 1; ; attempt++) {
		try {
			// A fresh set of hooks per attempt: what a rolled-back attempt registered never runs.
			return await runTransaction(db, work);
		} catch (error) {
			if (attempt >= ATTEMPTS || !isTransactionConflict(error)) throw error;
			await new Promise((resolve) => setTimeout(resolve, jitteredWait(attempt)));
		}
	}
}

/**
 * A random wait in [0, FIRST_WAIT_MS * 2^(attempt-1)] ms ("full jitter"): two transactions that
 * just collided rarely run again at the same moment and collide once more.
 */
export function jitteredWait(attempt: number): number {
	return Math.random() * FIRST_WAIT_MS * 2 ** (attempt - 1);
}

/**
 * Runs `hook` once the transaction `db` committed, or at once when `db` is no transaction (its
 * writes are committed already). False, and the hook is dropped, for a transaction opened some
 * other way than runTransaction or decidingTransaction: nobody would know when it committed.
 */
export function afterCommit(db: Kysely<Database>, hook: () => void): boolean {
	if (!db.isTransaction) {
		hook();
		return true;
	}
	const hooks = commitHooks.get(db);
	hooks?.push(hook);
	return hooks !== undefined;
}
