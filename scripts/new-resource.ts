// npm run new:resource -- <name>: a new admin table in one command. Writes its definition
// (src/lib/server/resources/<kebab-name>.ts), the migration that creates its table
// (migrations/<UTC stamp>_<snake_name>.ts), a test of its API (tests/integration/<kebab-name>.test.ts)
// and its line in src/lib/server/resources/registry.ts. The name is the API namespace
// (`resources.<name>`): camelCase letters and digits, not registered yet, and its table (the name
// in snake_case) not one the migrations create. Nothing is overwritten: every check runs before
// the first file is written. Exit codes: 0 written, 1 taken or already there, 2 usage.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nextMigrationStamp } from './migration-stamp';
import {
	addToRegistry,
	definitionFile,
	migrationFile,
	registeredNames,
	resourceNames,
	testFile,
	type ResourceNames
} from './resource-templates';

const RESOURCES_DIR = 'src/lib/server/resources';
const REGISTRY = `${RESOURCES_DIR}/registry.ts`;
const MIGRATIONS_DIR = 'migrations';
const USAGE = `usage: npm run new:resource -- <name>

  <name>  the API namespace, camelCase letters and digits: shippingZones writes
          ${RESOURCES_DIR}/shipping-zones.ts, migrations/<stamp>_shipping_zones.ts,
          tests/integration/shipping-zones.test.ts and its line in registry.ts`;

// The name is the registry's import binding and a key of tRPC routers and plain objects.
const RESERVED = new Set([
	...['await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default'],
	...['delete', 'do', 'else', 'enum', 'export', 'extends', 'false', 'finally', 'for', 'function'],
	...['if', 'implements', 'import', 'in', 'instanceof', 'interface', 'let', 'new', 'null'],
	...['package', 'private', 'protected', 'public', 'return', 'static', 'super', 'switch', 'this'],
	...['throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield', 'arguments'],
	...[
		'eval',
		'undefined',
		'then',
		'call',
		'apply',
		'bind',
		...Object.getOwnPropertyNames(Object.prototype)
	]
]);
/** Tables nothing may be named: the migrator's own. */
const MIGRATOR_TABLES = ['kysely_migration', 'kysely_migration_lock'];

function exit(code: 1 | 2, message: string): never {
	console.error(message);
	process.exit(code);
}

/** Why the name cannot be a resource's, or null. */
function nameProblem(name: string): string | null {
	if (!/^[a-z][a-zA-Z0-9]*$/.test(name)) {
		return `${JSON.stringify(name)} is not a camelCase name: letters and digits, starting with a lower-case letter (e.g. shippingZones)`;
	}
	if (name.length > 48) return `${name} is longer than 48 characters`;
	if (RESERVED.has(name))
		return `${name} is reserved (a JavaScript word, a tRPC key or a property every object has)`;
	const { table } = resourceNames(name);
	// Index names add up to 15 characters (`<table>_updated_at_idx`); MySQL allows 64.
	if (table.length > 48) return `its table ${table} is longer than 48 characters`;
	return null;
}

/** Tables the migrations leave in place, in file order: created and not dropped again. */
function migrationTables(): Set<string> {
	const tables = new Set(MIGRATOR_TABLES);
	const files = readdirSync(MIGRATIONS_DIR)
		.filter((file) => file.endsWith('.ts'))
		.sort();
	for (const file of files) {
		const source = readFileSync(join(MIGRATIONS_DIR, file), 'utf8');
		const up = source.split(/export\s+async\s+function\s+down/)[0]!;
		for (const [, verb, table] of up.matchAll(/\.(createTable|dropTable)\(\s*['"`](\w+)['"`]/g)) {
			if (verb === 'createTable') tables.add(table!);
			else tables.delete(table!);
		}
	}
	return tables;
}

/** Tables of the registered resources, read from the files registry.ts imports. */
function registeredTables(registry: string): Set<string> {
	const tables = new Set<string>();
	for (const [, file] of registry.matchAll(/^import \w+ from '\.\/([\w-]+)';$/gm)) {
		const path = join(RESOURCES_DIR, `${file}.ts`);
		if (!existsSync(path)) continue;
		const table = /^\s*table:\s*'(\w+)'/m.exec(readFileSync(path, 'utf8'))?.[1];
		if (table) tables.add(table);
	}
	return tables;
}

async function formatted(path: string, source: string): Promise<string> {
	// Loaded here: a refused name should not wait for prettier.
	const prettier = await import('prettier');
	const options = (await prettier.resolveConfig(path)) ?? {};
	return prettier.format(source, { ...options, filepath: path });
}

async function main(args: string[]): Promise<void> {
	if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
		console.log(USAGE);
		return;
	}
	if (args.length !== 1) exit(2, USAGE);
	const name = args[0]!;
	const problem = nameProblem(name);
	if (problem) exit(2, `${problem}\n\n${USAGE}`);
	if (!existsSync(REGISTRY) || !existsSync(MIGRATIONS_DIR)) {
		exit(1, `${REGISTRY} or ${MIGRATIONS_DIR}/ is missing: run this from the project's root`);
	}

	const names: ResourceNames = resourceNames(name);
	const registry = readFileSync(REGISTRY, 'utf8');
	const registered = registeredNames(registry) ?? [];
	if (registered.includes(name)) exit(1, `${name} is registered already (${REGISTRY})`);
	if (migrationTables().has(names.table) || registeredTables(registry).has(names.table)) {
		exit(
			1,
			`the table ${names.table} exists already (see ${MIGRATIONS_DIR}/): choose another name`
		);
	}
	const stamp = nextMigrationStamp(readdirSync(MIGRATIONS_DIR));
	const files: Array<[path: string, source: string]> = [
		[`${RESOURCES_DIR}/${names.path}.ts`, definitionFile(names)],
		[`${MIGRATIONS_DIR}/${stamp}_${names.table}.ts`, migrationFile(names)],
		[`tests/integration/${names.path}.test.ts`, testFile(names)]
	];
	const existing = files.map(([path]) => path).filter((path) => existsSync(path));
	if (existing.length > 0) {
		exit(1, `not overwriting ${existing.join(', ')}: choose another name or move it away`);
	}
	const edit = addToRegistry(registry, names);
	if (!edit.ok) exit(1, `${edit.message}: nothing was written`);

	const outputs = await Promise.all(
		[...files, [REGISTRY, edit.source] as [string, string]].map(
			async ([path, source]) => [path, await formatted(path, source)] as const
		)
	);
	for (const [path, source] of outputs) {
		// `wx` refuses a file that appeared since the check.
		writeFileSync(path, source, { flag: path === REGISTRY ? 'w' : 'wx' });
		console.log(`${path === REGISTRY ? 'registered in' : 'wrote'} ${path}`);
	}
	console.log(`
Next:
  1. Change the fields in ${files[0]![0]}
     and the columns in ${files[1]![0]} to match.
  2. npm run db:migrate
  3. Admins may do everything; grant other roles '${name}.read' (or '${name}.*') in
     src/lib/permissions.ts.
  4. npm run api:docs   (docs/API.md lists every procedure)
  5. npx vitest run ${files[2]![0]}
The API is resources.${name}.*, the pages are at /resources/${names.path}.`);
}

await main(process.argv.slice(2));
