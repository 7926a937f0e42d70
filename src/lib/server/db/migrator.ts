import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationResult } from 'kysely/migration';

export type Migrations = Record<string, Migration>;

/**
 * Migrations are handed over as modules: the app bundles them with Vite (`bundled-migrations.ts`),
 * the CLI imports them from `migrations/` (`scripts/migrate.ts`). Both run the same files.
 */
export function createMigrator<DB>(db: Kysely<DB>, migrations: Migrations): Migrator {
	return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

export class MigrationError extends Error {
	constructor(
		message: string,
		readonly results: MigrationResult[]
	) {
		super(message);
		this.name = 'MigrationError';
	}
}

/** Applies every pending migration; returns the names applied (empty when up to date). */
export async function migrateToLatest<DB>(
	db: Kysely<DB>,
	migrations: Migrations
): Promise<string[]> {
	const { error, results = [] } = await createMigrator(db, migrations).migrateToLatest();
	if (error) throw new MigrationError(describeFailure(error, results), results);
	return results.map((result) => result.migrationName);
}

/** Reverts the most recent migration; returns its name, or null when none was applied. */
export async function rollbackOne<DB>(
	db: Kysely<DB>,
	migrations: Migrations
): Promise<string | null> {
	const { error, results = [] } = await createMigrator(db, migrations).migrateDown();
	if (error) throw new MigrationError(describeFailure(error, results), results);
	return results[0]?.migrationName ?? null;
}

function describeFailure(error: unknown, results: MigrationResult[]): string {
	const failed = results.find((result) => result.status === 'Error');
	const reason = error instanceof Error ? error.message : String(error);
	return failed
		? `migration ${failed.migrationName} failed: ${reason}`
		: `migration failed: ${reason}`;
}
