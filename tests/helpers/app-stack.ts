// The production build the way most HTTP suites run it: the server `npm start` runs, on its own
// migrated database, sending its mail over real SMTP to a sink on loopback.
import { afterAll, beforeAll } from 'vitest';
import type { DatabaseDialect } from '$lib/server/config';
import { startAppServer, type AppServer } from '../../tools/app-server';
import { createMigratedDatabase, type TestDatabase } from '../../tools/databases';
import { startSmtpSink, type SmtpSink } from '../../tools/smtp-sink';

export interface AppStack {
	database: TestDatabase;
	sink: SmtpSink;
	server: AppServer;
	/** Stops the server and its sink and drops the database. */
	stop(): Promise<void>;
}

/**
 * More server environment on top of the database and SMTP settings; a function when it depends
 * on the database or is only known once the tests run (the test process's own config, say).
 */
export type AppStackEnv =
	Record<string, string> | ((database: TestDatabase) => Record<string, string>);

/** How the server is started beyond its environment (see startAppServer). */
export interface AppStackServerOptions {
	originHost?: string;
	nodeArgs?: string[];
}

/** A migrated database, an SMTP sink, and the production build using both. */
export async function startAppStack(
	dialect: DatabaseDialect,
	env: AppStackEnv = {},
	serverOptions: AppStackServerOptions = {}
): Promise<AppStack> {
	let database: TestDatabase | undefined;
	let sink: SmtpSink | undefined;
	let server: AppServer | undefined;
	const stop = async () => {
		// The sink first: it closes the app's pooled SMTP connection, which would otherwise keep
		// the server alive for up to 10 s after SIGTERM.
		await sink?.stop();
		await server?.stop();
		await database?.drop();
	};
	try {
		database = await createMigratedDatabase(dialect);
		sink = await startSmtpSink();
		server = await startAppServer(
			{
				DATABASE_URL: database.url,
				MAIL_TRANSPORT: 'smtp',
				SMTP_URL: sink.url,
				...(typeof env === 'function' ? env(database) : env)
			},
			serverOptions
		);
	} catch (error) {
		// Whatever did start must not outlive the failure.
		await stop();
		throw error;
	}
	return { database, sink, server, stop };
}

/**
 * Registers the suite's hooks (call it directly inside a `describe`): `startAppStack` before all
 * tests, `stop` after them. The hooks the suite registers later run inside these: their
 * `afterAll` (closing a browser, say) runs before the stack stops.
 * The returned getters are only usable once the hooks ran (inside tests and later hooks).
 */
export function useAppStack(
	dialect: DatabaseDialect,
	env: AppStackEnv = {},
	serverOptions: AppStackServerOptions = {}
): Omit<AppStack, 'stop'> {
	let stack: AppStack | undefined;
	beforeAll(async () => {
		stack = await startAppStack(dialect, env, serverOptions);
	});
	afterAll(() => stack?.stop());

	const started = () => {
		if (!stack) throw new Error('useAppStack: the stack starts in beforeAll; use it in tests');
		return stack;
	};
	return {
		get database() {
			return started().database;
		},
		get sink() {
			return started().sink;
		},
		get server() {
			return started().server;
		}
	};
}
