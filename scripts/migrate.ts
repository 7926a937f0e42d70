// npm run db:migrate | npm run db:rollback: the same migrations the app bundles, from migrations/.
import './load-env';
import { getConfigOrExit } from '../src/lib/server/config';
import { createDb } from '../src/lib/server/db/create-db';
import { migrateToLatest, rollbackOne } from '../src/lib/server/db/migrator';
import { loadMigrations } from './load-migrations';

async function main(direction: string | undefined): Promise<number> {
	if (direction !== 'latest' && direction !== 'down') {
		console.error('usage: tsx scripts/migrate.ts latest|down');
		return 2;
	}
	const { databaseUrl } = getConfigOrExit();
	const { db, dialect } = createDb(databaseUrl);
	try {
		const migrations = await loadMigrations();
		if (direction === 'latest') {
			const applied = await migrateToLatest(db, migrations);
			for (const name of applied) console.log(`applied ${name}`);
			console.log(applied.length ? `${dialect}: up to date` : `${dialect}: already up to date`);
		} else {
			const reverted = await rollbackOne(db, migrations);
			console.log(reverted ? `reverted ${reverted}` : `${dialect}: nothing to roll back`);
		}
		return 0;
	} catch (error) {
		console.error(error instanceof Error ? error.message : error);
		return 1;
	} finally {
		await db.destroy();
	}
}

process.exitCode = await main(process.argv[2]);
