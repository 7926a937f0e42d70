// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// Indexes for the users list's sort orders, so a page reads its own rows instead of sorting them
// all (4 to 5 ms a page on MariaDB with 10,000 users). Each ends in the id, the list's
// tie-breaker, sorted in the same direction as the column.
//
// - Usernames need none: they are unique and never null, and their unique index serves the sort.
// - Email is unique too, but nullable: the rows without one tie, and its unique index alone
//   leaves MariaDB to sort the whole table (it extends only non-unique indexes with the key).
// - Role gets none on purpose: the list filters by role, and SQLite (which keeps no statistics
//   unless ANALYZE runs) would pick a role index for `role = 'member'`, fetch nearly every row
//   through it and sort them: 0.1 ms became 9 ms a page with 10,000 users. Sorting by role stays
//   a sort of every row.
import { MysqlAdapter, type Kysely } from 'kysely';

const INDEXES: Array<[name: string, column: string]> = [
	['users_email_sort_idx', 'email'],
	['users_created_at_sort_idx', 'created_at']
];

export async function up(db: Kysely<any>): Promise<void> {
	for (const [name, column] of INDEXES) {
		await db.schema.createIndex(name).on('users').columns([column, 'id']).execute();
	}
}

export async function down(db: Kysely<any>): Promise<void> {
	// MySQL names the table in DROP INDEX, SQLite refuses it.
	const isMysql = db.getExecutor().adapter instanceof MysqlAdapter;
	for (const [name] of INDEXES) {
		const dropIndex = db.schema.dropIndex(name);
		await (isMysql ? dropIndex.on('users') : dropIndex).execute();
	}
}
