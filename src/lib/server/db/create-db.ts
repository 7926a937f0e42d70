import SQLite from 'better-sqlite3';
import { Kysely, MysqlDialect, SqliteDialect } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createPool } from 'mysql2';
import type { DatabaseDialect } from '../config';
import type { Database } from './schema';

export interface DatabaseHandle {
	db: Kysely<Database>;
	dialect: DatabaseDialect;
}

/** `file:<path>` opens embedded SQLite (created on first use); `mysql://...` a MySQL pool. */
export function createDb(url: string): DatabaseHandle {
	if (url.startsWith('mysql://')) return { db: createMysqlDb(url), dialect: 'mysql' };
	if (url.startsWith('file:'))
		return { db: createSqliteDb(url.slice('file:'.length)), dialect: 'sqlite' };
	throw new Error('DATABASE_URL must start with file: or mysql://');
}

function createSqliteDb(path: string): Kysely<Database> {
	if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
	const sqlite = new SQLite(path);
	// WAL lets readers run while a write is in progress; NORMAL sync is safe under WAL.
	sqlite.pragma('journal_mode = WAL');
	sqlite.pragma('synchronous = NORMAL');
	sqlite.pragma('foreign_keys = ON');
	// Another process (a CLI, a second dev server) may hold the write lock for a moment.
	sqlite.pragma('busy_timeout = 5000');
	return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
}

function createMysqlDb(url: string): Kysely<Database> {
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
	return new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
}
