// Transactions that decide something (claim a cooldown, stay under a cap) may lose a conflict with
// a concurrent one: MySQL then rolls one of them back as a deadlock victim. Running it again sees
// what the winner committed and decides again, so the caller gets the answer it should have had
// ("too soon", "at the cap") instead of a 500.
// Work that must wait for the commit (waking the mail sender for the rows a change queued) is
// registered with `afterCommit` and runs only once the transaction committed, never after a
// rollback.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema';
import { isTransactionConflict } from './errors';

const ATTEMPTS = 3;

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

/** `work` in one transaction, run again (at most three times in all) after a conflict. */
export async function decidingTransaction<T>(
	db: Kysely<Database>,
	work: (trx: Transaction<Database>) => Promise<T>
): Promise<T> {
	for (let attempt = 1; ; attempt++) {
		try {
			// A fresh set of hooks per attempt: what a rolled-back attempt registered never runs.
			return await runTransaction(db, work);
		} catch (error) {
			// The last conflict goes to the caller; the procedure layer answers it with "busy".
			if (attempt >= ATTEMPTS || !isTransactionConflict(error)) throw error;
		}
	}
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
