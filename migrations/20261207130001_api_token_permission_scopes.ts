// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// Portable: runs on SQLite and MySQL (see migrations/README.md for column representations).
// API token scopes name permissions now (`featureFlags.read,featureFlags.update`), not only
// `read` or `read,write`: the column must hold a list. Existing values keep their meaning, so
// no row changes on the way up.
import { MysqlAdapter, sql, type Kysely } from 'kysely';

function isMysql(db: Kysely<any>): boolean {
	return db.getExecutor().adapter instanceof MysqlAdapter;
}

export async function up(db: Kysely<any>): Promise<void> {
	// SQLite: nothing to do, it never enforces a varchar's length.
	if (isMysql(db)) await sql`alter table api_tokens modify scopes text not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
	// The code before this migration read every value but `read,write` as `read` (read
	// everything): a token scoped to a few permissions would grow. It is revoked instead.
	await db.deleteFrom('api_tokens').where('scopes', 'not in', ['read', 'read,write']).execute();
	if (isMysql(db)) await sql`alter table api_tokens modify scopes varchar(32) not null`.execute(db);
}
