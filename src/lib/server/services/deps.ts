// What every service function takes first: the database, the mailer, the rules, the clock and
// the log. One shape, built once per request (the tRPC context's `deps`), once per script
// (`scriptDeps`) and once per test (tests/helpers/service-deps.ts), so a service never reads a
// module singleton and a test can hand it a fake clock or a failing mailer.
import type { Kysely } from 'kysely';
import type { AuthPolicy } from '../auth/policy';
import type { Database } from '../db/schema';
import type { Mailer } from '../mail';

/** Where services read the time: always through it, so tests may move it. */
export interface Clock {
	/** Milliseconds since the epoch, like Date.now(). */
	now(): number;
}

/**
 * Where services report what went wrong outside the answer (a notice that could not be mailed).
 * Lines must never hold a password, a code or a token.
 */
export interface Log {
	error(message: string): void;
}

export interface ServiceDeps {
	/** The database, or the caller's transaction when a service runs inside one. */
	db: Kysely<Database>;
	mailer: Mailer;
	policy: AuthPolicy;
	clock: Clock;
	log: Log;
}

/** The real time, read on every call (so vitest's fake Date moves it too). */
export const systemClock: Clock = { now: () => Date.now() };

/** The server's log: stderr. */
export const consoleLog: Log = { error: (message) => console.error(message) };

/** The deps with the clock and log every process uses unless a test says otherwise. */
export function serviceDeps(
	deps: Pick<ServiceDeps, 'db' | 'mailer' | 'policy'> & Partial<ServiceDeps>
): ServiceDeps {
	const { db, mailer, policy, clock = systemClock, log = consoleLog } = deps;
	return { db, mailer, policy, clock, log };
}
