import { sql, type Kysely } from 'kysely';
import type { DatabaseDialect } from '../config';

export interface Health {
	ok: true;
	database: DatabaseDialect;
}

/** Proves the database answers with a real round trip; throws when it does not. */
export async function checkHealth<DB>(db: Kysely<DB>, dialect: DatabaseDialect): Promise<Health> {
	await sql`select 1`.execute(db);
	return { ok: true, database: dialect };
}
