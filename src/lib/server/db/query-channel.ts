// Every statement the server's database runs, published on a diagnostics channel: Node's own
// hook for observability, which APM agents and tracing tools subscribe to by name
// (`diagnostics_channel.subscribe('app:db:query', ...)` in a module preloaded with
// `node --import`), so they can count or time queries without the app knowing about them.
// While nobody subscribes a statement costs one `hasSubscribers` check. The message carries the
// SQL text and timing only, never the parameters: those hold password hashes, token hashes and
// codes, and a subscriber that logs its messages must not leak them.
import { channel } from 'node:diagnostics_channel';
import type { LogEvent } from 'kysely';

export const DB_QUERY_CHANNEL = 'app:db:query';

export interface DbQueryMessage {
	/** The statement's SQL, with `?` placeholders for its parameters. */
	sql: string;
	durationMs: number;
	/** It failed (a constraint, a lost connection, ...): it cost a round trip all the same. */
	failed: boolean;
}

const queries = channel(DB_QUERY_CHANNEL);

/** Kysely's `log` option: publishes each statement when someone listens. */
export function publishQuery(event: LogEvent): void {
	if (!queries.hasSubscribers) return;
	const message: DbQueryMessage = {
		sql: event.query.sql,
		durationMs: event.queryDurationMillis,
		failed: event.level === 'error'
	};
	queries.publish(message);
}
