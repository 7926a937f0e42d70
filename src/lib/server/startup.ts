import { exitOnConfigError, getConfig, type Config } from './config';
import { closeDatabase, getDatabase } from './db';
import { migrations } from './db/bundled-migrations';
import { migrateToLatest } from './db/migrator';

/**
 * Runs once before the server takes requests: validates the environment (stopping with one line
 * per problem), opens the database, and applies pending migrations in development or when
 * MIGRATE_ON_START=true. Production otherwise expects `npm run db:migrate` as a deploy step.
 */
export async function startServer({ dev }: { dev: boolean }): Promise<void> {
	let config: Config;
	try {
		config = getConfig();
	} catch (error) {
		exitOnConfigError(error);
	}
	const { db, dialect } = getDatabase();
	if (dev || config.migrateOnStart) {
		const applied = await migrateToLatest(db, migrations);
		for (const name of applied) console.info(`[db] applied migration ${name}`);
	}
	if (!dev && config.env !== 'production') {
		console.warn(
			'[config] NODE_ENV is not "production": production checks (SMTP_URL, AUTH_SECRET) are off'
		);
	}
	console.info(`[db] using ${dialect}`);
	process.once('sveltekit:shutdown', () => void closeDatabase());
}
