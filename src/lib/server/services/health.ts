import { sql } from 'kysely';
import type { DatabaseDialect } from '../config';
import type { ServiceDeps } from './deps';

export interface Health {
	ok: true;
	database: DatabaseDialect;
}

/** Proves the database answers with a real round trip; throws when it does not. */
export async function checkHealth(deps: ServiceDeps, dialect: DatabaseDialect): Promise<Health> {
	const { db } = deps;
	await sql`select 1`.execute(db);
	return { ok: true, database: dialect };
}
