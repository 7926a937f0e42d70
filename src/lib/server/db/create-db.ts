import SQLite from 'better-sqlite3';
import { Kysely, MysqlDialect, type KyselyConfig, type SqliteDatabase } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Pool } from 'mysql2';
import type { DatabaseDialect } from '../config';
import { boundedPool, type PoolLimits } from './bounded-pool';
import { AppSqliteDialect } from './sqlite-dialect';
import type { Database } from './schema';

export interface DatabaseHandle {
	db: Kysely<Database>;
	dialect: DatabaseDialect;
}

/**
 * What the server's requests may wait on MySQL (the CLI scripts and tests run without limits).
 * Whichever bound fires, the request fails with DatabaseUnavailableError instead of hanging:
 * with the database down or hung, a request answers within 15 s at worst (a connection, then a
 * statement), and the app recovers by itself when the database returns. Migrations run at start
 * (MIGRATE_ON_START) are bounded too: run a long one with `npm run db:migrate`.
 */
export const SERVER_POOL_LIMITS: PoolLimits = {
	// A free connection, or a new one opened: a healthy pool answers in milliseconds.
	acquireTimeoutMs: 5_000,
	// The app's statements are single-row lookups and writes; 10 s means the server is gone.
	queryTimeoutMs: 10_000
};

export interface CreateDbOptions {
	/** MySQL: bounds on waiting for a connection and for a statement (the server's requests). */
	limits?: PoolLimits;
	/** Kysely's query log (the server publishes each statement with it: query-channel.ts). */
	log?: KyselyConfig['log'];
}

/** `file:<path>` opens embedded SQLite (created on first use); `mysql://...` a MySQL pool. */
export function createDb(url: string, { limits, log }: CreateDbOptions = {}): DatabaseHandle {
	if (url.startsWith('mysql://')) return { db: createMysqlDb(url, limits, log), dialect: 'mysql' };
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
	return new Kysely<Database>({
		dialect: new AppSqliteDialect({ database: withStatementCache(sqlite) }),
		log
	});
}

// Kysely prepares every statement anew; better-sqlite3's prepare costs about as much as running
// a small indexed query. The app sends a few hundred distinct SQL strings, so caching them by text
// is bounded in practice; the cap only guards against a caller that builds SQL from values.
// Kysely never streams here (no `.stream()` in the app), so a cached statement is never busy.
const STATEMENT_CACHE_SIZE = 500;

function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
	const cache = new Map<string, SQLite.Statement>();
	return {
		prepare(source: string) {
			let statement = cache.get(source);
			if (!statement) {
				if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
				statement = sqlite.prepare(source);
				cache.set(source, statement);
			}
			return statement;
		},
		close: () => sqlite.close()
	};
}

function createMysqlDb(
	url: string,
	limits: PoolLimits | undefined,
	log: KyselyConfig['log']
): Kysely<Database> {
	return new Kysely<Database>({
		// mysql2 is loaded when the first statement needs a connection, and only by a MySQL app:
		// on the SQLite default its modules would hold about 3 MB of heap for nothing.
		dialect: new MysqlDialect({
			pool: async () => {
				const pool = await openPool(url);
				return limits ? boundedPool(pool, limits) : pool;
			}
		}),
		log
	});
}

async function openPool(url: string): Promise<Pool> {
	const { createPool } = await import('mysql2');
	return createPool({
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
}
