import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrations } from '$lib/server/db/bundled-migrations';
import { createMigrator, migrateToLatest, rollbackOne } from '$lib/server/db/migrator';
import { createTestDatabase, dialects, type TestDatabase } from '../../tools/databases';

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

describe.each(dialects)('the audit log order migration on %s', (dialect) => {
	const ORDER = '20261206120000_audit_log_order';
	let database: TestDatabase;

	beforeEach(async () => {
		database = await createTestDatabase(dialect);
	});
	afterEach(() => database.drop());

	/** The table's definition as the database states it, indexes included. */
	async function auditLogSchema(): Promise<unknown> {
		if (dialect === 'mysql') {
			const { rows } = await sql`show create table audit_log`.execute(database.db);
			return rows;
		}
		const { rows } = await sql`
			select type, name, sql from sqlite_master where tbl_name = 'audit_log' order by name
		`.execute(database.db);
		return rows;
	}

	it('numbers existing rows in time order, keeps ids unique, and down restores the table exactly', async () => {
		const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < ORDER));
		// Up to this migration and no further: later ones change other tables.
		const upTo = Object.fromEntries(Object.entries(migrations).filter(([name]) => name <= ORDER));
		await migrateToLatest(database.db, before);
		const schema = await auditLogSchema();
		const row = (id: string, createdAt: number) => ({
			id,
			event: 'user.updated',
			created_at: createdAt
		});
		// Written in this order: an older row last, two rows of one millisecond in id order.
		const rows = [row('b', 2000), row('a', 2000), row('c', 1000)];
		await database.db.insertInto('audit_log').values(rows).execute();
		const contents = () =>
			database.db
				.selectFrom('audit_log')
				.select([
					'id',
					'event',
					'actor_id',
					'subject_id',
					'ip',
					'user_agent',
					'details',
					'created_at'
				])
				.orderBy('id')
				.execute();
		const kept = await contents();

		expect(await migrateToLatest(database.db, upTo)).toContain(ORDER);
		const ordered = await database.db
			.selectFrom('audit_log')
			.select(['seq', 'id'])
			.orderBy('seq')
			.execute();
		expect(ordered.map((entry) => entry.id)).toEqual(['c', 'a', 'b']);
		const duplicate = database.db.insertInto('audit_log').values(row('a', 3000)).execute();
		await expect(duplicate).rejects.toThrow();

		expect(await rollbackOne(database.db, upTo)).toBe(ORDER);
		expect(await auditLogSchema()).toEqual(schema);
		expect(await contents()).toEqual(kept);
	});
});

describe.each(dialects)('the API token permission scopes migration on %s', (dialect) => {
	const SCOPES = '20261207130001_api_token_permission_scopes';
	let database: TestDatabase;

	beforeEach(async () => {
		database = await createTestDatabase(dialect);
	});
	afterEach(() => database.drop());

	const token = (id: string, scopes: string) => ({
		id,
		user_id: 'u1',
		name: id,
		prefix: id.padEnd(8, 'a'),
		token_hash: id.padEnd(64, '0'),
		scopes,
		expires_at: null,
		created_at: 1000,
		last_used_at: null,
		last_used_ip: null
	});
	const held = async () =>
		(
			await database.db.selectFrom('api_tokens').select(['id', 'scopes']).orderBy('id').execute()
		).map((row) => `${row.id}=${row.scopes}`);

	it('keeps the first tokens as they were, holds long lists, and down revokes only scoped tokens', async () => {
		const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < SCOPES));
		const upTo = Object.fromEntries(Object.entries(migrations).filter(([name]) => name <= SCOPES));
		await migrateToLatest(database.db, before);
		await database.db
			.insertInto('users')
			.values({
				id: 'u1',
				username: 'ann',
				email: null,
				password_hash: 'x',
				role: 'admin',
				is_active: 1,
				created_at: 1,
				updated_at: 1
			} as never)
			.execute();
		await database.db
			.insertInto('api_tokens')
			.values([token('reader', 'read'), token('writer', 'read,write')])
			.execute();

		expect(await migrateToLatest(database.db, upTo)).toEqual([SCOPES]);
		expect(await held()).toEqual(['reader=read', 'writer=read,write']);
		// Far past the old varchar(32): a token naming every permission of many resources.
		const long = Array.from({ length: 60 }, (_, i) => `resource${i}.action.something`).join(',');
		await database.db.insertInto('api_tokens').values(token('scoped', long)).execute();
		expect(await held()).toEqual(['reader=read', `scoped=${long}`, 'writer=read,write']);

		// The code before it would read a scoped token as `read` (everything): it is revoked.
		expect(await rollbackOne(database.db, upTo)).toBe(SCOPES);
		expect(await held()).toEqual(['reader=read', 'writer=read,write']);
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
