import SQLite from 'better-sqlite3';
import { Kysely, MysqlDialect, SqliteDialect, type KyselyConfig } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createPool } from 'mysql2';
import type { DatabaseDialect } from '../config';
import type { Database } from './schema';

export interface DatabaseHandle {
	db: Kysely<Database>;
	dialect: DatabaseDialect;
}

/**
 * `file:<path>` opens embedded SQLite (created on first use); `mysql://...` a MySQL pool.
 * `log` is Kysely's query log (the benchmark counts round trips with it).
 */
export function createDb(url: string, log?: KyselyConfig['log']): DatabaseHandle {
	if (url.startsWith('mysql://')) return { db: createMysqlDb(url, log), dialect: 'mysql' };
	if (url.startsWith('file:'))
		return { db: createSqliteDb(url.slice('file:'.length), log), dialect: 'sqlite' };
	throw new Error('DATABASE_URL must start with file: or mysql://');
}

function createSqliteDb(path: string, log: KyselyConfig['log']): Kysely<Database> {
	if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
	const sqlite = new SQLite(path);
	// WAL lets readers run while a write is in progress; NORMAL sync is safe under WAL.
	sqlite.pragma('journal_mode = WAL');
	sqlite.pragma('synchronous = NORMAL');
	sqlite.pragma('foreign_keys = ON');
	// Another process (a CLI, a second dev server) may hold the write lock for a moment.
	sqlite.pragma('busy_timeout = 5000');
	return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }), log });
}

function createMysqlDb(url: string, log: KyselyConfig['log']): Kysely<Database> {
	const pool = createPool({
		uri: url,
		// Timestamps are stored as integers, but any DATETIME a later migration adds is UTC.
		timezone: 'Z',
		charset: 'utf8mb4',
		connectionLimit: 10,
		maxIdle: 10,
		idleTimeout: 60_000,
		connectTimeout: 10_000,
		enableKeepAlive: true,
		// BIGINT millisecond timestamps fit in a double; return them as numbers.
		supportBigNumbers: true,
		bigNumberStrings: false,
		decimalNumbers: true
	});
	return new Kysely<Database>({ dialect: new MysqlDialect({ pool }), log });
}
