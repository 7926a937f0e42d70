// npm run db:new -- <name>: creates migrations/<UTC timestamp>_<name>.ts from a template.
import { existsSync, writeFileSync } from 'node:fs';
import { nextMigrationStampIn } from './migration-stamp';

const TEMPLATE = `// Frozen: never edit a migration that has shipped; add a new one. Never import app code here.
// Portable: runs on SQLite and MySQL (see migrations/README.md for column representations).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	// await db.schema.createTable('...').addColumn('id', 'varchar(32)', (col) => col.primaryKey()).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	// await db.schema.dropTable('...').execute();
}
`;

const name = process.argv[2];
if (!name || !/^[a-z][a-z0-9_]*$/.test(name)) {
	console.error('usage: npm run db:new -- <name>   (lower-case letters, digits and _)');
	process.exit(2);
}
const stamp = nextMigrationStampIn('migrations');
const path = `migrations/${stamp}_${name}.ts`;
if (existsSync(path)) {
	console.error(`${path} exists already`);
	process.exit(1);
}
writeFileSync(path, TEMPLATE);
console.log(path);
