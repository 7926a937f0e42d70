import { benchQueryLog } from '../bench/stats';
import { getConfig } from '../config';
import { createDb, type DatabaseHandle } from './create-db';

let handle: DatabaseHandle | undefined;

/** The process's database, opened from DATABASE_URL on first use. */
export function getDatabase(): DatabaseHandle {
	handle ??= createDb(getConfig().databaseUrl, benchQueryLog());
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
