// npm run db:migrate | npm run db:rollback: the same migrations the app bundles, from migrations/.
import './load-env';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Migration } from 'kysely';
import { getConfigOrExit } from '../src/lib/server/config';
import { createDb } from '../src/lib/server/db/create-db';
import { migrateToLatest, rollbackOne, type Migrations } from '../src/lib/server/db/migrator';

const MIGRATIONS_DIR = resolve('migrations');

async function loadMigrations(): Promise<Migrations> {
	const files = (await readdir(MIGRATIONS_DIR)).filter((file) => file.endsWith('.ts')).sort();
	const entries = await Promise.all(
		files.map(async (file): Promise<[string, Migration]> => [
			file.slice(0, -'.ts'.length),
			await import(pathToFileURL(join(MIGRATIONS_DIR, file)).href)
		])
	);
	return Object.fromEntries(entries);
}

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
