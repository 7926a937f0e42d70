import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrations } from '$lib/server/db/bundled-migrations';
import { createMigrator, migrateToLatest, rollbackOne } from '$lib/server/db/migrator';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases';

const TSX = resolve('node_modules/.bin/tsx');
const MIGRATE = resolve('scripts/migrate.ts');

async function tableNames(database: TestDatabase): Promise<string[]> {
	const tables = await database.db.introspection.getTables();
	return tables.map((table) => table.name).filter((name) => !name.startsWith('kysely_'));
}

describe.each(dialects)('migrations on %s', (dialect) => {
	let database: TestDatabase;

	beforeEach(async () => {
		database = await createTestDatabase(dialect);
	});
	afterEach(() => database.drop());

	it('go up, all the way down, and up again', async () => {
		const names = Object.keys(migrations).sort();
		expect(await migrateToLatest(database.db, migrations)).toEqual(names);
		expect(await tableNames(database)).toEqual(expect.arrayContaining(['users', 'sessions']));

		for (const name of [...names].reverse()) {
			expect(await rollbackOne(database.db, migrations)).toBe(name);
		}
		expect(await tableNames(database)).toEqual([]);
		expect(await rollbackOne(database.db, migrations)).toBeNull();

		expect(await migrateToLatest(database.db, migrations)).toEqual(names);
		const pending = (await createMigrator(database.db, migrations).getMigrations()).filter(
			(migration) => !migration.executedAt
		);
		expect(pending).toEqual([]);
	});

	it('say so when already up to date', async () => {
		await migrateToLatest(database.db, migrations);
		expect(await migrateToLatest(database.db, migrations)).toEqual([]);
	});

	it('run from the CLI: npm run db:migrate and db:rollback', () => {
		const env = { ...process.env, DATABASE_URL: database.url, NODE_ENV: 'development' };
		const up = spawnSync(TSX, [MIGRATE, 'latest'], { env, encoding: 'utf8' });
		expect(up.stderr).toBe('');
		expect(up.status).toBe(0);
		expect(up.stdout).toContain(`applied ${Object.keys(migrations)[0]}`);

		const again = spawnSync(TSX, [MIGRATE, 'latest'], { env, encoding: 'utf8' });
		expect(again.stdout.trim()).toBe(`${dialect}: already up to date`);

		const down = spawnSync(TSX, [MIGRATE, 'down'], { env, encoding: 'utf8' });
		expect(down.status).toBe(0);
		expect(down.stdout).toMatch(/^reverted /);
	});
});

describe('the migrate CLI', () => {
	it('stops on a bad DATABASE_URL with one line naming it', () => {
		const env = { ...process.env, DATABASE_URL: 'postgres://nope', NODE_ENV: 'development' };
		const run = spawnSync(TSX, [MIGRATE, 'latest'], { env, encoding: 'utf8' });
		expect(run.status).toBe(1);
		expect(run.stderr).toContain('DATABASE_URL: expected file:<path>');
	});
});

describe('npm run db:new', () => {
	let dir: string;
	beforeEach(() => {
		dir = mkdtempSync(join(tmpdir(), 'db-new-'));
		mkdirSync(join(dir, 'migrations'));
	});
	afterEach(() => rmSync(dir, { recursive: true, force: true }));

	it('creates a timestamped migration with up and down', () => {
		const run = spawnSync(TSX, [resolve('scripts/new-migration.ts'), 'add_widgets'], {
			cwd: dir,
			encoding: 'utf8'
		});
		expect(run.status).toBe(0);
		const [file] = readdirSync(join(dir, 'migrations'));
		expect(file).toMatch(/^\d{14}_add_widgets\.ts$/);
		const text = readFileSync(join(dir, 'migrations', file!), 'utf8');
		expect(text).toContain('export async function up');
		expect(text).toContain('export async function down');
	});

	it('refuses a name that is not a plain identifier', () => {
		const run = spawnSync(TSX, [resolve('scripts/new-migration.ts'), '../evil'], {
			cwd: dir,
			encoding: 'utf8'
		});
		expect(run.status).toBe(2);
	});
});
