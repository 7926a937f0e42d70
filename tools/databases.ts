// Throw-away databases for integration tests, the load run and the benches: SQLite always, MySQL
// when MYSQL_URL is set.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { DatabaseDialect } from '../src/lib/server/config';
import {
	createDb,
	type CreateDbOptions,
	type DatabaseHandle
} from '../src/lib/server/db/create-db';
import { migrateToLatest } from '../src/lib/server/db/migrator';

export function mysqlBaseUrl(): string | undefined {
	return process.env.MYSQL_URL || process.env.TEST_MYSQL_URL || undefined;
}

/** The dialects this run covers; integration suites loop over them. */
export const dialects: DatabaseDialect[] = mysqlBaseUrl() ? ['sqlite', 'mysql'] : ['sqlite'];

export interface TestDatabase extends DatabaseHandle {
	url: string;
	/** Closes the connection and deletes the database. */
	drop(): Promise<void>;
}

export interface TestDatabaseOptions {
	/** MySQL: the server (and base name) to create the database next to; MYSQL_URL's if absent. */
	mysqlUrl?: string;
	/** Who made it, in its name (`bench`: `admin-bench-…`, `test_bench_…`), so a left-over is known. */
	label?: string;
	/** For this process's own handle (`database.db`), e.g. a query log. */
	db?: CreateDbOptions;
}

/** An empty database of its own: a temp file, or a new MySQL database next to MYSQL_URL's. */
export async function createTestDatabase(
	dialect: DatabaseDialect,
	{ mysqlUrl, label, db: dbOptions }: TestDatabaseOptions = {}
): Promise<TestDatabase> {
	if (dialect === 'sqlite') {
		const dir = mkdtempSync(join(tmpdir(), `admin-${label ?? 'test'}-`));
		const url = `file:${join(dir, 'app.db')}`;
		const handle = createDb(url, dbOptions);
		return {
			...handle,
			url,
			async drop() {
				await handle.db.destroy();
				rmSync(dir, { recursive: true, force: true });
			}
		};
	}
	const base = mysqlUrl ?? mysqlBaseUrl();
	if (!base) throw new Error('MYSQL_URL is not set');
	const server = new URL(base);
	const prefix = `${server.pathname.slice(1) || 'test'}_${label ? `${label}_` : ''}`;
	const name = `${prefix}${randomBytes(4).toString('hex')}`;
	server.pathname = '/';
	const admin = await createConnection({ uri: server.toString() });
	await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
	const dbUrl = new URL(server);
	dbUrl.pathname = `/${name}`;
	const url = dbUrl.toString();
	const handle = createDb(url, dbOptions);
	return {
		...handle,
		url,
		async drop() {
			await handle.db.destroy();
			await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
			await admin.end();
		}
	};
}

/** A fresh database with every migration applied. */
export async function createMigratedDatabase(dialect: DatabaseDialect): Promise<TestDatabase> {
	const database = await createTestDatabase(dialect);
	// Loaded here, not at the top: the bundle needs Vite (import.meta.glob), and scripts run by
	// tsx (scripts/load.ts) use the rest of this file.
	const { migrations } = await import('../src/lib/server/db/bundled-migrations');
	await migrateToLatest(database.db, migrations);
	return database;
}
