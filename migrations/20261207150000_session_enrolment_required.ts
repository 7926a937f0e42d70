// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// A verified session of a person whose role must use an authenticator app or a security key
// (FACTOR_POLICY), signed in before they had one: until they set one up it may do nothing else.
// Set with the promotion, cleared by the enrolment, read with the session row on every request.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.alterTable('sessions')
		.addColumn('enrolment_required', 'integer', (column) => column.notNull().defaultTo(0))
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('sessions').dropColumn('enrolment_required').execute();
}
