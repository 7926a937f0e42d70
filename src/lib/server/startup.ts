import cluster from 'node:cluster';
import { getConfigOrExit, type Config } from './config';
import { closeDatabase, getDatabase } from './db';
import { migrations } from './db/bundled-migrations';
import { migrateToLatest } from './db/migrator';
import { deleteExpiredAuthRows } from './auth/cleanup';
import { closeMailer, deleteFinishedMail, getMailer, startMailSender } from './mail';
import { getPolicy } from './auth/policy';
import type { Database } from './db/schema';
import { serviceDeps } from './services/deps';
import { openSetup } from './services/setup';
import type { Kysely } from 'kysely';

/** How long closing the pools may take once requests have drained. */
const CLOSE_GRACE_MS = 5_000;

/**
 * Runs once before the server takes requests: validates the environment (stopping with one line
 * per problem), opens the database, and applies pending migrations in development or when
 * MIGRATE_ON_START=true. Production otherwise expects `npm run db:migrate` as a deploy step.
 * With several workers (WEB_CONCURRENCY) only the first migrates, warns and prints the setup link.
 */
export async function startServer({ dev }: { dev: boolean }): Promise<void> {
	const config = getConfigOrExit();
	const { db, dialect } = getDatabase();
	const first = isFirstProcess();
	if (first && (dev || config.migrateOnStart)) {
		const applied = await migrateToLatest(db, migrations);
		for (const name of applied) console.info(`[db] applied migration ${name}`);
	}
	if (first && !dev && config.env !== 'production') {
		console.warn(
			'[config] NODE_ENV is not "production": production checks (SMTP_URL, AUTH_SECRET) are off'
		);
	}
	console.info(`[db] using ${dialect}`);
	if (first) await announceSetupLink(db, config);
	scheduleCleanup(db);
	// Every process sends queued mail; claims keep two of them from sending the same row.
	const sender = startMailSender({ db, mailer: getMailer() });
	// Close the SMTP pool too, or an idle pooled connection holds the process for its timeout.
	process.once('sveltekit:shutdown', () => {
		// Requests have drained by now. Closing the pools normally ends the process at once; if one
		// does not close (a MySQL pool was once seen keeping its idle sockets after a load run), it
		// must not keep a stopped server alive: a deploy waits on this exit. Unref'd: no delay
		// when everything closes.
		setTimeout(() => {
			console.warn('[server] the database or mail pool did not close within 5 s; exiting');
			process.exit(0);
		}, CLOSE_GRACE_MS).unref();
		// The sender first: it finishes the message it is sending (and records it) before the pools
		// close; rows it claimed but did not try go out once their claim runs out.
		void sender.stop().then(() => Promise.all([closeMailer(), closeDatabase()]));
	});
}

/**
 * Whether this process does the once-per-start work: a lone server, or worker 1 of the cluster.
 * The primary (server/primary.js) starts worker 1 alone and the others once it listens, so they
 * never race its migrations (SQLite has no migration lock between processes) and the link is
 * printed once; a worker started after a crash has a higher id and skips both.
 */
function isFirstProcess(): boolean {
	return !cluster.isWorker || cluster.worker?.id === 1;
}

/** First run: print the one-time link that creates the first admin (see README). */
async function announceSetupLink(db: Kysely<Database>, config: Config): Promise<void> {
	let token: string | null;
	try {
		const deps = serviceDeps({ db, mailer: getMailer(), policy: getPolicy() });
		token = await openSetup(deps, getPolicy().setupTokenTtlMs);
	} catch {
		console.warn('[setup] the database is not migrated yet: run `npm run db:migrate`');
		return;
	}
	if (!token) return;
	const path = `/setup?token=${token}`;
	console.info(
		`[setup] No users yet. Create the first admin within an hour: ${config.origin ? config.origin + path : path}`
	);
}

const CLEANUP_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Hourly sweep of expired auth rows and of queued mail sent a week ago (or given up on a month
 * ago); every instance may run it, it is idempotent.
 */
function scheduleCleanup(db: Kysely<Database>): void {
	const timer = setInterval(() => {
		const sweep = async () => {
			await deleteExpiredAuthRows(db);
			await deleteFinishedMail(db, Date.now());
		};
		sweep().catch((error: unknown) => {
			console.error('[cleanup] failed:', error instanceof Error ? error.message : error);
		});
	}, CLEANUP_INTERVAL_MS);
	timer.unref();
}
