// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// One name for one thing: what people, mails and the API call "backup tokens" was stored as
// static_tokens (django-otp's word) and logged as static_token.* events. The table, its index and
// the audit events take the name everyone reads. Token hashes are unchanged, so every token a
// user holds keeps working. `down` restores the old names exactly.
import { MysqlAdapter, type Kysely } from 'kysely';

const EVENTS = ['minted', 'used', 'revoked'] as const;

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('static_tokens').renameTo('backup_tokens').execute();
	await renameUserIdIndex(
		db,
		'backup_tokens',
		'static_tokens_user_id_idx',
		'backup_tokens_user_id_idx'
	);
	await renameEvents(db, 'static_token', 'backup_token');
}

export async function down(db: Kysely<any>): Promise<void> {
	await renameEvents(db, 'backup_token', 'static_token');
	await renameUserIdIndex(
		db,
		'backup_tokens',
		'backup_tokens_user_id_idx',
		'static_tokens_user_id_idx'
	);
	await db.schema.alterTable('backup_tokens').renameTo('static_tokens').execute();
}

/**
 * SQLite cannot rename an index, so a new one is made and the old one dropped, in that order:
 * MySQL refuses to drop the only index its foreign key on user_id can use.
 */
async function renameUserIdIndex(db: Kysely<any>, table: string, from: string, to: string) {
	await db.schema.createIndex(to).on(table).column('user_id').execute();
	const drop = db.schema.dropIndex(from);
	const isMysql = db.getExecutor().adapter instanceof MysqlAdapter;
	await (isMysql ? drop.on(table) : drop).execute();
}

async function renameEvents(db: Kysely<any>, from: string, to: string) {
	for (const event of EVENTS) {
		await db
			.updateTable('audit_log')
			.set({ event: `${to}.${event}` })
			.where('event', '=', `${from}.${event}`)
			.execute();
	}
}
