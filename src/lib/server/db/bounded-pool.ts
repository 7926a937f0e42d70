// mysql2's pool waits for a free connection for ever, and a statement sent to a server that
// stopped answering waits for ever too: while the database hangs, every request would hang with
// it and hold its place in the pool. This wrapper, handed to Kysely's MysqlDialect, bounds both
// and turns connection-level failures into DatabaseUnavailableError (503 for the session hook).
import type { MysqlPool, MysqlPoolConnection, MysqlQueryResult } from 'kysely';
import type { Pool, PoolConnection, QueryError } from 'mysql2';
import { DatabaseUnavailableError } from './unavailable';

export interface PoolLimits {
	/** Longest wait for a connection: a free one, or a new one being opened. */
	acquireTimeoutMs: number;
	/** Longest a statement may run before its connection is given up. */
	queryTimeoutMs: number;
}

type QueryCallback = (error: unknown, result: MysqlQueryResult) => void;

export function boundedPool(pool: Pool, limits: PoolLimits): MysqlPool {
	// Kysely keys its connection objects on ours: hand out the same wrapper for a connection.
	const wrappers = new WeakMap<PoolConnection, MysqlPoolConnection>();
	const wrap = (connection: PoolConnection) => {
		let wrapper = wrappers.get(connection);
		if (!wrapper) wrappers.set(connection, (wrapper = new TimedConnection(connection, limits)));
		return wrapper;
	};

	return {
		getConnection(callback) {
			let gaveUp = false;
			const timer = setTimeout(() => {
				gaveUp = true;
				callback(
					new DatabaseUnavailableError(
						`No database connection within ${limits.acquireTimeoutMs} ms`
					),
					undefined as never
				);
			}, limits.acquireTimeoutMs);
			pool.getConnection((error, connection) => {
				clearTimeout(timer);
				// The request has moved on; a connection that turns up late goes back to the pool.
				if (gaveUp) return connection?.release();
				if (error) {
					callback(unavailable('Could not connect to the database', error), undefined as never);
				} else {
					callback(null, wrap(connection));
				}
			});
		},
		end: (callback) => pool.end(callback)
	};
}

/**
 * One pooled connection as Kysely sees it, with a bound on each statement. Kysely reads
 * `threadId` and `config` to cancel a running statement from a second connection (KILL QUERY):
 * getters, because mysql2 sets both once the handshake is done.
 */
class TimedConnection implements MysqlPoolConnection {
	constructor(
		private readonly connection: PoolConnection,
		private readonly limits: PoolLimits
	) {}

	get threadId(): number {
		return this.connection.threadId;
	}

	get config(): MysqlPoolConnection['config'] {
		return this.connection.config;
	}

	query(sql: string, parameters: unknown[]): ReturnType<PoolConnection['query']>;
	query(sql: string, parameters: unknown[], callback: QueryCallback): void;
	query(sql: string, parameters: unknown[], callback?: QueryCallback) {
		const { connection } = this;
		const options = { sql, timeout: this.limits.queryTimeoutMs };
		// Streams (Kysely's `.stream()`) report a timeout as a stream error; the app uses none.
		if (!callback) return connection.query(options, parameters);
		connection.query(options, parameters, (error: QueryError | null, result) => {
			if (!error) return callback(null, result as MysqlQueryResult);
			if (error.code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
				// mysql2 gives up waiting but keeps the connection, whose late answer (if any) would
				// meet the next statement: close it, and the pool opens a fresh one when needed.
				connection.destroy();
			}
			// `fatal`: the connection itself is gone (reset, closed, timed out); other errors
			// (a duplicate key, say) are the statement's own and pass through unchanged.
			callback(
				error.fatal || error.code === 'PROTOCOL_SEQUENCE_TIMEOUT'
					? unavailable('The database stopped answering', error)
					: error,
				undefined as never
			);
		});
	}

	release(): void {
		this.connection.release();
	}

	connect(callback: Parameters<PoolConnection['connect']>[0]): void {
		this.connection.connect(callback);
	}

	destroy(): void {
		this.connection.destroy();
	}
}

/** The driver's reason goes into the message: server logs print messages and stacks only. */
function unavailable(what: string, cause: Error): DatabaseUnavailableError {
	return new DatabaseUnavailableError(`${what}: ${cause.message}`, { cause });
}
