// The app's copy of migrations/, bundled by Vite so `node build` needs no source files.
import type { Migration } from 'kysely/migration';
import type { Migrations } from './migrator';

const modules = import.meta.glob<Migration>('/migrations/*.ts', { eager: true });

export const migrations: Migrations = Object.fromEntries(
	Object.entries(modules).map(([path, module]) => [
		path.slice(path.lastIndexOf('/') + 1, -'.ts'.length),
		module
	])
);
