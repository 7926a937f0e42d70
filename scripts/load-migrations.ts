// The migrations in migrations/, imported as modules: what the CLIs run (the app bundles the same
// files with Vite, src/lib/server/db/bundled-migrations.ts).
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Migration } from 'kysely/migration';
import type { Migrations } from '../src/lib/server/db/migrator';

const MIGRATIONS_DIR = resolve('migrations');

export async function loadMigrations(): Promise<Migrations> {
	const files = (await readdir(MIGRATIONS_DIR)).filter((file) => file.endsWith('.ts')).sort();
	const entries = await Promise.all(
		files.map(async (file): Promise<[string, Migration]> => [
			file.slice(0, -'.ts'.length),
			await import(pathToFileURL(join(MIGRATIONS_DIR, file)).href)
		])
	);
	return Object.fromEntries(entries);
}
