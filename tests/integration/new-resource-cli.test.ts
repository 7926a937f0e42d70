// `npm run new:resource`'s own rules, in a small copy of the files it reads and writes (the
// resources folder, the migrations, tests/integration): what it writes, the names it refuses and
// why, that it never overwrites or half-writes, and its exit codes (0 written, 1 taken or already
// there, 2 usage). new-resource.test.ts proves that what it writes compiles, runs and serves.
import { spawnSync } from 'node:child_process';
import {
	cpSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	statSync,
	symlinkSync,
	writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const TSX = resolve('node_modules/.bin/tsx');
const SCRIPT = resolve('scripts/new-resource.ts');
const REGISTRY = 'src/lib/server/resources/registry.ts';

const FIXTURE_REGISTRY = `// The resources.
import coupons from './coupons';
import { checkRegistry } from './checks';

export const resources = checkRegistry({
	coupons
});
`;
// Only what the command reads of a definition: its table, which no migration here creates.
const FIXTURE_DEFINITION = `export default defineResource({
	name: 'coupons',
	table: 'coupon_codes',
	title: 'code'
});
`;

let project: string;

beforeEach(() => {
	project = mkdtempSync(join(tmpdir(), 'new-resource-cli-'));
	for (const path of ['src/lib/server/resources', 'migrations', '.prettierrc', '.prettierignore']) {
		cpSync(path, join(project, path), { recursive: true });
	}
	mkdirSync(join(project, 'tests/integration'), { recursive: true });
	// A registry of its own, so these tests hold whether or not the example is still there.
	writeFileSync(join(project, REGISTRY), FIXTURE_REGISTRY);
	writeFileSync(join(project, 'src/lib/server/resources/coupons.ts'), FIXTURE_DEFINITION);
	// prettier's plugins (.prettierrc) resolve from the project.
	symlinkSync(resolve('node_modules'), join(project, 'node_modules'), 'dir');
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

function newResource(...args: string[]) {
	return spawnSync(TSX, [SCRIPT, ...args], { cwd: project, encoding: 'utf8' });
}

/** Every file of the copy (node_modules aside) with its contents: to show nothing changed. */
function snapshot(dir = project): Record<string, string> {
	const files: Record<string, string> = {};
	for (const entry of readdirSync(dir)) {
		const path = join(dir, entry);
		if (entry === 'node_modules') continue;
		if (statSync(path).isDirectory()) Object.assign(files, snapshot(path));
		else files[relative(project, path)] = readFileSync(path, 'utf8');
	}
	return files;
}

const read = (path: string) => readFileSync(join(project, path), 'utf8');

describe('npm run new:resource -- <name>', () => {
	it('writes the definition, a migration dated after the latest, a test and the registry line', () => {
		const before = snapshot();
		const result = newResource('giftCards');
		expect(result.stderr).toBe('');
		expect(result.status).toBe(0);

		const added = Object.keys(snapshot()).filter((path) => !(path in before));
		const migration = added.find((path) => path.startsWith('migrations/'))!;
		expect(added.sort()).toEqual(
			[
				migration,
				'src/lib/server/resources/gift-cards.ts',
				'tests/integration/gift-cards.test.ts'
			].sort()
		);
		const latest = Object.keys(before)
			.filter((path) => /^migrations\/\d{14}_/.test(path))
			.sort()
			.at(-1)!;
		expect(migration).toMatch(/^migrations\/\d{14}_gift_cards\.ts$/);
		expect(migration > latest).toBe(true);
		expect(result.stdout).toContain(`wrote ${migration}\n`);
		expect(result.stdout).toContain(`registered in ${REGISTRY}\n`);
		expect(result.stdout).toContain(`'giftCards.read'`);

		expect(read('src/lib/server/resources/gift-cards.ts')).toContain(
			"name: 'giftCards',\n\ttable: 'gift_cards',"
		);
		expect(read(migration)).toContain(".createTable('gift_cards')");
		expect(read('tests/integration/gift-cards.test.ts')).toContain(
			"describe.each(dialects)('resources.giftCards on %s'"
		);
		// Only the two new lines: the rest of the registry as it was.
		expect(read(REGISTRY)).toBe(
			FIXTURE_REGISTRY.replace(
				"import { checkRegistry } from './checks';",
				"import giftCards from './gift-cards';\nimport { checkRegistry } from './checks';"
			).replace('\tcoupons\n', '\tcoupons,\n\tgiftCards\n')
		);
	});

	it('registers into an empty registry (every resource removed)', () => {
		writeFileSync(
			join(project, REGISTRY),
			FIXTURE_REGISTRY.replace("import coupons from './coupons';\n", '').replace(
				/checkRegistry\(\{[^}]*\}\)/,
				'checkRegistry({})'
			)
		);
		expect(newResource('giftCards').status).toBe(0);
		expect(read(REGISTRY)).toContain(
			"import giftCards from './gift-cards';\nimport { checkRegistry } from './checks';\n"
		);
		expect(read(REGISTRY)).toContain('checkRegistry({\n\tgiftCards\n});');
	});

	it.each([
		['no name', []],
		['two names', ['giftCards', 'coupons']],
		['PascalCase', ['GiftCards']],
		['snake_case', ['gift_cards']],
		['kebab-case', ['gift-cards']],
		['a leading digit', ['2fa']],
		['a JavaScript keyword (the registry imports it by name)', ['delete']],
		["a property every object has (tRPC's router is an object)", ['constructor']],
		['then (a router with it would look like a promise)', ['then']],
		['over 48 characters', ['a'.repeat(49)]],
		['a table name over 48 characters', ['aBcDeFgHiJkLmNoPqRsTuVwXyZaBcDeFgHiJkL']]
	])('refuses %s with exit code 2 and the usage, writing nothing', (_, args) => {
		const before = snapshot();
		const result = newResource(...args);
		expect(result.status).toBe(2);
		expect(result.stderr).toContain('usage: npm run new:resource -- <name>');
		expect(result.stdout).toBe('');
		expect(snapshot()).toEqual(before);
	});

	it.each([
		['a registered name', 'coupons', 'coupons is registered already'],
		['a table a migration creates', 'users', 'the table users exists already'],
		["a registered resource's table", 'couponCodes', 'the table coupon_codes exists already'],
		["the migrator's own table", 'kyselyMigration', 'the table kysely_migration exists already'],
		[
			'a name whose file exists (a core module)',
			'fields',
			'not overwriting src/lib/server/resources/fields.ts'
		]
	])('refuses %s with exit code 1, writing nothing', (_, name, message) => {
		const before = snapshot();
		const result = newResource(name);
		expect(result.status).toBe(1);
		expect(result.stderr).toContain(message);
		expect(snapshot()).toEqual(before);
	});

	it('refuses to overwrite a test of the same name, and writes none of the other files', () => {
		writeFileSync(join(project, 'tests/integration/gift-cards.test.ts'), '// mine\n');
		const before = snapshot();
		const result = newResource('giftCards');
		expect(result.status).toBe(1);
		expect(result.stderr).toContain('not overwriting tests/integration/gift-cards.test.ts');
		expect(snapshot()).toEqual(before);
	});

	it('a table a later migration dropped is free again; one created and not dropped is taken', () => {
		const migration = (body: string) => `export async function up(db) {\n${body}\n}\n
export async function down(db) {\n\tawait db.schema.dropTable('gift_cards').execute();\n}\n`;
		writeFileSync(
			join(project, 'migrations/20270101000000_gift_cards.ts'),
			migration("\tawait db.schema.createTable('gift_cards').execute();")
		);
		expect(newResource('giftCards').stderr).toContain('the table gift_cards exists already');
		writeFileSync(
			join(project, 'migrations/20270102000000_drop_gift_cards.ts'),
			"export async function up(db) {\n\tawait db.schema.dropTable('gift_cards').execute();\n}\n"
		);
		const result = newResource('giftCards');
		expect(result.stderr).toBe('');
		expect(result.stdout).toMatch(/wrote migrations\/20270102000001_gift_cards\.ts/);
	});

	it('a second run with the same name refuses: the first one registered it', () => {
		expect(newResource('giftCards').status).toBe(0);
		const before = snapshot();
		const again = newResource('giftCards');
		expect(again.status).toBe(1);
		expect(again.stderr).toContain('giftCards is registered already');
		expect(snapshot()).toEqual(before);
	});
});
