// What `npm run new:resource` writes: a definition with two working fields and every other kind
// shown in comments, the migration that matches it, a test of its API, and its registry line. The
// files are formatted as prettier would (the CLI runs prettier over them as well), so a fresh
// resource passes `npm run lint` and `npm run check` before anyone edits it.

/** The names of one new resource, all derived from its camelCase name. */
export interface ResourceNames {
	/** camelCase: `resources.<name>.*`, permission prefix, registry key. */
	name: string;
	/** kebab-case: file names and the pages' URL segment. */
	path: string;
	/** snake_case: the table. */
	table: string;
	/** "Shipping zones". */
	label: string;
}

export function resourceNames(name: string): ResourceNames {
	const spaced = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
	return {
		name,
		path: name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
		table: name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
		label: spaced.charAt(0).toUpperCase() + spaced.slice(1)
	};
}

/** Paragraphs as `//` comment lines of at most 100 characters ('' is an empty comment line). */
function comment(...paragraphs: string[]): string {
	const lines: string[] = [];
	for (const paragraph of paragraphs) {
		let line = '//';
		// Code in backticks stays on one line.
		for (const word of paragraph.match(/(?:`[^`]*`|[^\s`])+/g) ?? []) {
			if (line.length + 1 + word.length > 100 && line !== '//') {
				lines.push(line);
				line = '//';
			}
			line += ` ${word}`;
		}
		lines.push(line);
	}
	return lines.join('\n');
}

export function definitionFile({ name, path, table, label }: ResourceNames): string {
	const header = comment(
		`${label}: a start written by \`npm run new:resource\`. Change the fields (and the migration, migrations/*_${table}.ts, to match) before it ships; the commented lines below show every kind of field with the column its migration adds. From this definition alone come the API (\`resources.${name}.*\`), the pages under /resources/${path}, the nav entry, the audit trail and the security suite's checks.`,
		'',
		`Who may do what: src/lib/permissions.ts. Admins may do everything ('*'); other roles see nothing of it until granted, e.g. \`member: [..., '${name}.read']\` or '${name}.*'. The permissions are '${name}.read', '.create', '.update', '.delete' and '.action.<action>'.`
	);
	return `${header}
import { boolean, longText, text } from './fields';
import { defineResource } from './define';

export default defineResource({
	name: '${name}',
	table: '${table}',
	// The text field that names a row: lists, references to it, the audit log.
	title: 'name',
	// Shown on the list page and in the API reference.
	description: '${label}: what a row is and who reads it.',
	fields: {
		name: text({ max: 100, unique: true }),
		active: boolean({ default: true }),
		notes: longText({ optional: true, max: 2000 })
		// Every kind, with the column its migration adds (migrations/README.md); import the kinds
		// you use from './fields'. Options any field takes: label, hint, column (when not the name
		// in snake_case), optional, secret (never written to the audit trail), and default, min,
		// max and unique where they apply.
		//
		// code: text({ min: 2, max: 16, unique: true, hint: 'Shown on invoices' }),
		//   varchar(16), MySQL binary collation as for \`name\` in the migration; notNull().unique()
		// priority: integer({ min: 0, max: 10, default: 0 }),
		//   'bigint', notNull()
		// price: decimal({ scale: 2, min: 0, default: '0.00' }),
		//   'bigint' (whole cents; '12.50' on the API), notNull()
		// region: choice(['eu', 'us', 'apac'], { default: 'eu' }),
		//   'varchar(16)', notNull()
		// startsOn: date({ optional: true }),
		//   'char(10)' ('YYYY-MM-DD')
		// reviewedAt: datetime({ optional: true, label: 'Reviewed at (UTC)' }),
		//   'bigint' (Unix ms; a Date on the API)
		// owner: reference('users', { optional: true, column: 'owner_id' }),
		//   'varchar(32)', references('users.id').onDelete('set null'); or a resource's name
		// shipments: readOnly(integer({ default: 0 })),
		//   'bigint', notNull().defaultTo(0): shown, never written by the API or the forms
		// signingKey: text({ max: 64, optional: true, secret: true }),
		//   'varchar(64)'; the audit trail records "changed", never the value
		// status: computed((row) => (row.active ? 'on' : 'off')),
		//   no column: worked out from the row when it is read
	},
	list: {
		columns: ['name', 'active', 'updatedAt'],
		// Text fields a search looks in; every word must match one of them.
		search: ['name', 'notes'],
		// Choice, yes/no and reference fields.
		filters: ['active'],
		// Stored fields that are not references or long text, and createdAt / updatedAt.
		sort: ['name', 'updatedAt', 'createdAt'],
		defaultSort: 'name',
		pageSize: 25
	}
	// Operations and actions that need a fresh sign-in code:
	// stepUp: ['delete'],
	// What people do to rows, on one row or (bulk) to the rows selected on the list; \`set\` changes
	// fields like an edit, \`run(deps, rows, actor)\` does anything else in the same transaction:
	// actions: { deactivate: { label: 'Deactivate', bulk: true, set: { active: false } } }
});
`;
}

export function migrationFile({ name, path, table }: ResourceNames): string {
	const header = comment(
		'Frozen: never edit a migration that has shipped; add a new one. Never import app code here.',
		`The table of the ${name} resource (src/lib/server/resources/${path}.ts), written by \`npm run new:resource\`: change it with the definition until it ships. Every resource table has id, version (the stale-edit check), created_at and updated_at, then one column per stored field as migrations/README.md and resources/fields.ts describe. Text that is unique or sorted gets MySQL's binary collation, so uniqueness and order match SQLite's. Indexes for the list's sorts and filters, the id last so pages stay in a stable order.`
	);
	return `${header}
import { MysqlAdapter, sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	const isMysql = db.getExecutor().adapter instanceof MysqlAdapter;
	const name = isMysql
		? sql\`varchar(100) character set utf8mb4 collate utf8mb4_bin\`
		: sql\`varchar(100)\`;
	await db.schema
		.createTable('${table}')
		.addColumn('id', 'varchar(32)', (col) => col.primaryKey())
		.addColumn('version', 'integer', (col) => col.notNull())
		.addColumn('name', name, (col) => col.notNull().unique())
		.addColumn('active', 'integer', (col) => col.notNull())
		.addColumn('notes', 'text')
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.addColumn('updated_at', 'bigint', (col) => col.notNull())
		.execute();
	for (const column of ['updated_at', 'active']) {
		await db.schema
			.createIndex(\`${table}_\${column}_idx\`)
			.on('${table}')
			.columns([column, 'id'])
			.execute();
	}
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('${table}').execute();
}
`;
}

export function testFile({ name, path, label }: ResourceNames): string {
	const one = label.toLowerCase().replace(/s$/, '');
	const header = comment(
		`resources.${name} (src/lib/server/resources/${path}.ts) through server-side callers on each dialect: create, list and update, the stale-edit rule, and who may read it. Written by \`npm run new:resource\`; grow it with the definition (resources-api.test.ts tries every procedure on the example resource).`
	);
	return `${header}
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../tools/databases';
import { seedUser } from '../../tools/sign-in';
import { errorOf, useApiHarness, type Caller } from '../helpers/api-harness';

describe.each(dialects)('resources.${name} on %s', (dialect) => {
	const api = useApiHarness(dialect);
	let admin: Caller;
	let member: Caller;
	const unique = () => \`${one} \${randomBytes(4).toString('hex')}\`;

	beforeAll(async () => {
		admin = await api.callerFor(await api.signIn(await seedUser(api.db, { role: 'admin' })));
		member = await api.callerFor(await api.signIn(await seedUser(api.db, { role: 'member' })));
	});

	it('creates a row with its defaults and reads it back', async () => {
		const name = unique();
		const created = await admin.resources.${name}.create({ name });
		expect(created).toMatchObject({ name, active: true, notes: null, version: 1 });
		expect(await admin.resources.${name}.get({ id: created.id })).toEqual(created);
	});

	it('lists by search, with the total', async () => {
		const name = unique();
		await admin.resources.${name}.create({ name, notes: 'first' });
		const page = await admin.resources.${name}.list({ search: name });
		expect(page.rows.map((row) => row.name)).toEqual([name]);
		expect(page.total).toBe(1);
	});

	it('updates at the version read; a stale edit is CONFLICT with the current row', async () => {
		const row = await admin.resources.${name}.create({ name: unique() });
		const updated = await admin.resources.${name}.update({
			id: row.id,
			version: 1,
			values: { active: false }
		});
		expect(updated).toMatchObject({ active: false, version: 2 });
		const stale = await errorOf(
			admin.resources.${name}.update({ id: row.id, version: 1, values: { notes: 'lost?' } })
		);
		expect(stale.code).toBe('CONFLICT');
		expect(stale.cause).toMatchObject({ current: { version: 2, notes: null } });
	});

	it('refuses a role src/lib/permissions.ts grants nothing of it', async () => {
		expect((await errorOf(member.resources.${name}.list({}))).code).toBe('FORBIDDEN');
	});
});
`;
}

/** The registry with the new line, or why it cannot be added without a person. */
export type RegistryEdit = { ok: true; source: string } | { ok: false; message: string };

const REGISTRY_CALL = /checkRegistry\(\{([^}]*)\}\)/;

/** The entries of registry.ts's `checkRegistry({ ... })` as written, or null if it is not there. */
function registryEntries(source: string): string[] | null {
	const call = REGISTRY_CALL.exec(source);
	if (!call || /\/[/*]/.test(call[1]!)) return null;
	return call[1]!
		.split(',')
		.map((entry) => entry.trim())
		.filter(Boolean);
}

/** The names registry.ts registers, or null if its `checkRegistry({ ... })` is not plain. */
export function registeredNames(source: string): string[] | null {
	return registryEntries(source)?.map((entry) => entry.split(':')[0]!.trim()) ?? null;
}

/** registry.ts with the resource imported and registered after the others. */
export function addToRegistry(source: string, { name, path }: ResourceNames): RegistryEdit {
	const entries = registryEntries(source);
	const checkImport = /^import \{ checkRegistry \} from '\.\/checks';$/m.exec(source);
	if (!entries || !checkImport) {
		return {
			ok: false,
			message:
				"registry.ts needs `import { checkRegistry } from './checks';` and a `checkRegistry({ ... })` without comments"
		};
	}
	const withImport =
		source.slice(0, checkImport.index) +
		`import ${name} from './${path}';\n` +
		source.slice(checkImport.index);
	const registered = [...entries, name].join(',\n\t');
	return {
		ok: true,
		source: withImport.replace(REGISTRY_CALL, () => `checkRegistry({\n\t${registered}\n})`)
	};
}
