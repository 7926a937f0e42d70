// Transactions that decide something (claim a cooldown, stay under a cap) may lose a conflict with
// a concurrent one: MySQL then rolls one of them back as a deadlock victim. Running it again sees
// what the winner committed and decides again, so the caller gets the answer it should have had
// ("too soon", "at the cap") instead of a 500.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema';
import { isTransactionConflict } from './errors';

const ATTEMPTS = 3;

/** `work` in one transaction, run again (at most three times in all) after a conflict. */
export async function decidingTransaction<T>(
	db: Kysely<Database>,
	work: (trx: Transaction<Database>) => Promise<T>
): Promise<T> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await db.transaction().execute(work);
		} catch (error) {
			// The last conflict goes to the caller; the procedure layer answers it with "busy".
			if (attempt >= ATTEMPTS || !isTransactionConflict(error)) throw error;
		}
	}
}
