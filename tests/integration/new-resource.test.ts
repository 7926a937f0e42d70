// The issue's proof that a new table is one command away. In a copy of the project outside the
// repository (its tracked and unignored files, node_modules linked), `npm run new:resource` writes
// a resource whose files pass prettier, eslint and tsc, whose generated test passes, and whose
// production build, on a fresh SQLite and MariaDB database each, migrates its table and serves its
// API and its pages over HTTP to an admin who signed in there; the registry-driven security suite
// covers it with no test written for it. Slow: it type-checks and builds the copy (the
// three run side by side), about two to three minutes on two cores.
import { spawn, spawnSync } from 'node:child_process';
import {
	copyFileSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	symlinkSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseDialect } from '$lib/server/config';
import { startAppServer, type AppServer } from '../../tools/app-server';
import {
	createTestDatabase,
	dialects,
	mysqlBaseUrl,
	type TestDatabase
} from '../../tools/databases';
import { seedUser, trpcMutation, trpcQuery, type SeededUser } from '../../tools/sign-in';
import { startSmtpSink, type SmtpSink } from '../../tools/smtp-sink';
import { postForm } from '../helpers/form-post';
import { sessionHeaders, signInOverHttp } from '../helpers/http-sign-in';

const NAME = 'shippingZones';
const PATH = 'shipping-zones';
const FILES = {
	definition: `src/lib/server/resources/${PATH}.ts`,
	registry: 'src/lib/server/resources/registry.ts',
	test: `tests/integration/${PATH}.test.ts`
};
const SLOW = 300_000;

interface Finished {
	code: number | null;
	output: string;
}

interface Child {
	done: Promise<Finished>;
	stop(): void;
}

// The children see what a developer's shell has, not this run's VITEST_* variables (the copy's
// own vitest would take them as its own).
const childEnv: Record<string, string> = Object.fromEntries(
	Object.entries({
		PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
		HOME: process.env.HOME,
		TMPDIR: process.env.TMPDIR,
		npm_config_nodedir: process.env.npm_config_nodedir,
		MYSQL_URL: mysqlBaseUrl(),
		NO_COLOR: '1'
	}).filter((entry): entry is [string, string] => entry[1] !== undefined)
);

/** Runs a command in the copy, collecting what it prints; never rejects. */
function start(cwd: string, command: string, args: string[]): Child {
	const child = spawn(command, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	child.stdout.on('data', (chunk) => (output += chunk));
	child.stderr.on('data', (chunk) => (output += chunk));
	const done = new Promise<Finished>((resolvePromise) => {
		child.once('error', (error) => resolvePromise({ code: null, output: `${output}\n${error}` }));
		child.once('close', (code) => resolvePromise({ code, output }));
	});
	return { done, stop: () => child.exitCode === null && child.kill('SIGTERM') };
}

function runIn(cwd: string, command: string, args: string[]): Promise<Finished> {
	return start(cwd, command, args).done;
}

/** The project's tracked and unignored files, copied to a new directory; node_modules linked. */
function copyProject(): string {
	const root = mkdtempSync(join(tmpdir(), 'new-resource-'));
	const listed = spawnSync(
		'git',
		['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
		{
			encoding: 'utf8'
		}
	);
	if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
	for (const file of listed.stdout.split('\0').filter(Boolean)) {
		// A file deleted in the working tree is still listed until the deletion is staged.
		if (!existsSync(file)) continue;
		mkdirSync(dirname(join(root, file)), { recursive: true });
		copyFileSync(file, join(root, file));
	}
	symlinkSync(resolve('node_modules'), join(root, 'node_modules'), 'dir');
	return root;
}

describe('npm run new:resource in a copy of the project', () => {
	let copy: string;
	let generated: Finished;
	let migration: string;
	let typecheck: Child;
	let skeleton: Child;
	let build: Child;
	let security: Child;

	beforeAll(async () => {
		copy = copyProject();
		generated = await runIn(copy, 'npm', ['run', 'new:resource', '--', NAME]);
		if (generated.code !== 0) return;
		migration = `migrations/${readdirSync(join(copy, 'migrations')).find((file) => file.endsWith(`_shipping_zones.ts`))}`;
		// tsc reads the types SvelteKit generates; the build and vitest regenerate the same files.
		await runIn(copy, 'npx', ['svelte-kit', 'sync']);
		// tsc alone first: vitest and the build run svelte-kit sync again as they start, and tsc
		// must not read .svelte-kit/types while they rewrite it.
		typecheck = start(copy, 'npx', ['tsc', '--noEmit']);
		await typecheck.done;
		// The build alone too: it generates .svelte-kit/generated for a build, vitest for its dev
		// mode, and a build reading root.js while a vitest run rewrote it once failed in CI.
		build = start(copy, 'npx', ['vite', 'build', '--logLevel', 'warn']);
		await build.done;
		skeleton = start(copy, 'npx', ['vitest', 'run', FILES.test]);
		// The registry-driven part of the security suite, unchanged, on the copy's new resource.
		security = start(copy, 'npx', [
			'vitest',
			'run',
			'tests/security/resource-access.test.ts',
			'-t',
			NAME
		]);
	}, SLOW);

	afterAll(async () => {
		for (const child of [typecheck, skeleton, build, security]) child?.stop();
		await Promise.all([typecheck?.done, skeleton?.done, build?.done, security?.done]);
		if (copy) rmSync(copy, { recursive: true, force: true });
	}, 30_000);

	it('writes the definition, a migration after the latest, a test and the registry line, all passing prettier and eslint', async () => {
		expect(generated.code, generated.output).toBe(0);
		for (const path of [FILES.definition, migration, FILES.test]) {
			expect(generated.output).toContain(`wrote ${path}`);
		}
		const before = readdirSync('migrations')
			.filter((file) => file.endsWith('.ts'))
			.sort()
			.at(-1)!;
		expect(migration.slice('migrations/'.length) > before).toBe(true);
		const registry = readFileSync(join(copy, FILES.registry), 'utf8');
		expect(registry).toContain(`import ${NAME} from './${PATH}';\n`);
		expect(registry).toMatch(new RegExp(`checkRegistry\\(\\{[^}]*\\b${NAME}\\n\\}\\)`));
		const files = [FILES.definition, FILES.registry, migration, FILES.test];
		const prettier = await runIn(copy, 'npx', ['prettier', '--check', ...files]);
		expect(prettier.code, prettier.output).toBe(0);
		const eslint = await runIn(copy, 'npx', ['eslint', ...files]);
		expect(eslint.code, eslint.output).toBe(0);
	}, 120_000);

	it(
		'type-checks (tsc --noEmit over the whole copy)',
		async () => {
			const { code, output } = await typecheck.done;
			expect(code, output).toBe(0);
		},
		SLOW
	);

	it(
		'its generated test passes on every dialect',
		async () => {
			const { code, output } = await skeleton.done;
			expect(code, output).toBe(0);
			expect(stripVTControlCharacters(output)).toMatch(
				new RegExp(`Tests\\s+${4 * dialects.length} passed`)
			);
		},
		SLOW
	);

	it(
		'the security suite covers it with no test written for it (resource-access picks it up from the registry)',
		async () => {
			const { code, output } = await security.done;
			expect(code, output).toBe(0);
			const plain = stripVTControlCharacters(output);
			const passed = Number(/Tests\s+(\d+) passed/.exec(plain)?.[1] ?? 0);
			// Anonymous, pending, roles without the grant, tokens: many checks per procedure.
			expect(passed, plain).toBeGreaterThan(20);
			expect(plain).not.toMatch(/\d+ failed/);
		},
		SLOW
	);

	it(
		'builds (vite build)',
		async () => {
			const { code, output } = await build.done;
			expect(code, output).toBe(0);
		},
		SLOW
	);

	describe.each(dialects)("the copy's production build on a fresh %s database", (dialect) => {
		let database: TestDatabase;
		let sink: SmtpSink;
		let server: AppServer;
		let admin: SeededUser;

		beforeAll(async () => {
			const built = await build.done;
			if (built.code !== 0) throw new Error(`the copy did not build:\n${built.output}`);
			({ database, sink, server } = await startCopy(copy, dialect));
			admin = await seedUser(database.db, { role: 'admin' });
		}, SLOW);

		afterAll(async () => {
			await sink?.stop();
			await server?.stop();
			await database?.drop();
		});

		it('migrates, and serves resources.shippingZones over HTTP to a signed-in admin: create, list, update, a stale update (409), history, exportPage, delete and bulk delete', async () => {
			expect(server.output()).toContain(
				`[db] applied migration ${migration.slice('migrations/'.length, -'.ts'.length)}`
			);
			const { origin } = server;
			const options = { transport: 'bearer' } as const;
			const { token } = await signInOverHttp(origin, sink, admin, options);
			const headers = sessionHeaders(options, origin, token);
			const call = <T>(procedure: string, input: unknown) =>
				(/^(list|get|history|exportPage)$/.test(procedure) ? trpcQuery<T> : trpcMutation<T>)(
					origin,
					`resources.${NAME}.${procedure}`,
					{ input, headers }
				);
			type Row = {
				id: string;
				version: number;
				name: string;
				active: boolean;
				notes: string | null;
			};

			const created = await call<Row>('create', { name: 'Europe' });
			expect(created.error).toBeUndefined();
			expect(created.data).toMatchObject({ name: 'Europe', active: true, notes: null, version: 1 });
			const row = created.data!;
			const list = await call<{ rows: Row[]; total: number }>('list', { search: 'euro' });
			expect(list.data).toMatchObject({ total: 1, rows: [{ id: row.id, name: 'Europe' }] });

			const updated = await call<Row>('update', {
				id: row.id,
				version: 1,
				values: { notes: 'EU and EEA', active: false }
			});
			expect(updated.data).toMatchObject({ version: 2, notes: 'EU and EEA', active: false });
			const stale = await call('update', { id: row.id, version: 1, values: { notes: 'lost' } });
			expect(stale.status).toBe(409);
			expect(stale.error).toMatchObject({ code: 'CONFLICT', data: { current: { version: 2 } } });

			const history = await call<{ entries: Array<{ event: string; changes: object }> }>(
				'history',
				{ id: row.id }
			);
			expect(history.data!.entries.map((entry) => entry.event)).toEqual([
				'record.updated',
				'record.created'
			]);
			expect(history.data!.entries[0]!.changes).toEqual({
				active: { from: true, to: false },
				notes: { from: null, to: 'EU and EEA' }
			});
			const exported = await call<{ rows: Row[]; next: number | null }>('exportPage', {
				query: { sort: 'name' }
			});
			expect(exported.data).toMatchObject({ next: null, rows: [{ id: row.id, version: 2 }] });

			expect((await call('delete', { id: row.id, version: 2 })).data).toEqual({ ok: true });
			const more = await Promise.all(
				['Asia', 'Americas'].map((name) => call<Row>('create', { name }))
			);
			const bulk = await call('bulk', {
				action: 'delete',
				rows: more.map(({ data }) => ({ id: data!.id, version: data!.version }))
			});
			expect(bulk.data).toEqual({ count: 2 });
			expect((await call('list', {})).data).toMatchObject({ total: 0, rows: [] });
		}, 60_000);

		it('serves its pages without JavaScript: list, CSV, create, edit with a stale-edit conflict, history, delete', async () => {
			const { origin } = server;
			const { jar } = await signInOverHttp(origin, sink, admin, { transport: 'cookie' });
			const base = `/resources/${PATH}`;
			const get = (path: string) =>
				fetch(origin + path, { headers: { cookie: jar.header()! }, redirect: 'manual' });

			const created = await postForm(
				origin,
				`${base}/new?/create`,
				{ name: 'Oceania', active: 'on' },
				{ jar }
			);
			expect(created.status).toBe(303);
			const id = /\/resources\/shipping-zones\/([a-z2-7]+)/.exec(
				created.headers.get('location')!
			)![1]!;
			for (const path of [base, `${base}/export.csv`, `${base}/${id}`]) {
				const response = await get(path);
				expect(response.status, path).toBe(200);
				expect(await response.text(), path).toContain('Oceania');
			}

			const saved = await postForm(
				origin,
				`${base}/${id}?/update`,
				{ version: '1', name: 'Oceania', active: 'on', notes: 'AU, NZ' },
				{ jar }
			);
			expect(saved.status).toBe(200);
			const stale = await postForm(
				origin,
				`${base}/${id}?/update`,
				{ version: '1', name: 'Oceania', notes: 'lost' },
				{ jar }
			);
			expect(stale.status).toBe(409);
			expect(await stale.text()).toContain('AU, NZ');

			const history = await get(`${base}/${id}/history`);
			expect(history.status).toBe(200);
			expect(await history.text()).toContain('AU, NZ');
			expect((await get(`${base}/${id}/delete`)).status).toBe(200);
			const deleted = await postForm(
				origin,
				`${base}/${id}/delete?/delete`,
				{ version: '2' },
				{ jar }
			);
			expect(deleted.status).toBe(303);
			expect((await get(`${base}/${id}`)).status).toBe(404);
		}, 60_000);
	});
});

/** A fresh, empty database, an SMTP sink, and the copy's build using both (it migrates on start). */
async function startCopy(
	copy: string,
	dialect: DatabaseDialect
): Promise<{ database: TestDatabase; sink: SmtpSink; server: AppServer }> {
	const database = await createTestDatabase(dialect);
	const sink = await startSmtpSink();
	try {
		const server = await startAppServer(
			{
				DATABASE_URL: database.url,
				MAIL_TRANSPORT: 'smtp',
				SMTP_URL: sink.url,
				MIGRATE_ON_START: 'true'
			},
			{ root: copy }
		);
		return { database, sink, server };
	} catch (error) {
		await sink.stop();
		await database.drop();
		throw error;
	}
}
