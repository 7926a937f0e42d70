import { getConfig } from '../config';
import { createDb, SERVER_POOL_LIMITS, type DatabaseHandle } from './create-db';
import { publishQuery } from './query-channel';

let handle: DatabaseHandle | undefined;

/**
 * The server's database, opened from DATABASE_URL on first use, with the server's limits; each
 * statement is published on the `app:db:query` diagnostics channel (query-channel.ts).
 */
export function getDatabase(): DatabaseHandle {
	handle ??= createDb(getConfig().databaseUrl, {
		limits: SERVER_POOL_LIMITS,
		log: publishQuery
	});
	return handle;
}

/** Closes the pool (MySQL) or file (SQLite); the next getDatabase() opens a new one. */
export async function closeDatabase(): Promise<void> {
	const closing = handle;
	handle = undefined;
	await closing?.db.destroy();
}

export { createDb, type DatabaseHandle } from './create-db';
export type { Database } from './schema';
