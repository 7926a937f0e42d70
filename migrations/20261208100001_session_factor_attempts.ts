// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// Tries a session has spent on second factors that outlive it (an authenticator app's code, a
// backup token, a security key): an emailed code counts its own tries (email_otps.attempts), these
// have no code of the session's own to count on. Reserved by one conditional UPDATE before a try
// counts; once it reaches the per-code limit the session ends. A verified session's step-up clears it.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.alterTable('sessions')
		.addColumn('factor_attempts', 'integer', (column) => column.notNull().defaultTo(0))
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('sessions').dropColumn('factor_attempts').execute();
}
