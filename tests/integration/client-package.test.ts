// The client package from outside, as a tool in another repository uses it: `npm run client:pack`
// builds the tarball; a new project under the system's temp folder installs it with npm (and
// typescript, @types/node from the registry), with no path back into this repository; a tool
// written there type-checks (no skipLibCheck), a wrong call does not, and the tool runs against
// `node build` with an API token.
import { spawn } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertApiToken } from '$lib/server/auth/api-tokens';
import { createFlag } from '../helpers/feature-flags';
import { useAppStack } from '../helpers/app-stack';
import { dialects } from '../../tools/databases';
import { seedUser } from '../../tools/sign-in';

const PACKAGE = 'sveltekit-trpc-admin-client';

/** The example resource's table, which the app's Database type does not list. */
type Flags = Kysely<{ feature_flags: { id: string; enabled: number; description: string | null } }>;
const SLOW = 300_000;

interface Finished {
	code: number | null;
	stdout: string;
	stderr: string;
}

// The machine's network settings: a proxy, and the certificates it is trusted by (a registry
// reached through a TLS-inspecting proxy fails with SELF_SIGNED_CERT_IN_CHAIN without them).
const NETWORK = [
	'NODE_EXTRA_CA_CERTS',
	'SSL_CERT_FILE',
	'SSL_CERT_DIR',
	'npm_config_cafile',
	'HTTPS_PROXY',
	'https_proxy',
	'HTTP_PROXY',
	'http_proxy',
	'NO_PROXY',
	'no_proxy'
];

// What a developer's shell has (npm finds its cache and registry settings through HOME, the
// network through the variables above), not this run's VITEST_* or npm_package_* variables.
const childEnv: Record<string, string> = Object.fromEntries(
	Object.entries({
		PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
		HOME: process.env.HOME,
		TMPDIR: process.env.TMPDIR,
		npm_config_nodedir: process.env.npm_config_nodedir,
		npm_config_cache: process.env.npm_config_cache,
		npm_config_registry: process.env.npm_config_registry,
		npm_config_userconfig: process.env.npm_config_userconfig,
		...Object.fromEntries(NETWORK.map((name) => [name, process.env[name]])),
		NO_COLOR: '1'
	}).filter((entry): entry is [string, string] => entry[1] !== undefined)
);

function run(
	cwd: string,
	command: string,
	args: string[],
	env: Record<string, string> = {}
): Promise<Finished> {
	return new Promise((resolvePromise) => {
		const child = spawn(command, args, {
			cwd,
			env: { ...childEnv, ...env },
			stdio: ['ignore', 'pipe', 'pipe']
		});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk) => (stdout += chunk));
		child.stderr.on('data', (chunk) => (stderr += chunk));
		child.once('error', (error) => resolvePromise({ code: null, stdout, stderr: `${error}` }));
		child.once('close', (code) => resolvePromise({ code, stdout, stderr }));
	});
}

const TSCONFIG = {
	compilerOptions: {
		target: 'es2022',
		module: 'nodenext',
		strict: true,
		noEmit: true,
		// The package's declaration is checked too: it must stand on its dependencies alone.
		skipLibCheck: false,
		verbatimModuleSyntax: true,
		erasableSyntaxOnly: true,
		types: ['node']
	}
};

// The tool: names input and output types through the package, lists users and the token owner's
// security keys, then changes a flag with `update` and toggles it with its action. Prints one line
// `RESULT <json>`. A person's second step with an authenticator app (method 'totp') is typed too,
// never run: an API token has no pending sign-in to finish.
const TOOL = `import {
	createAdminClient,
	type AdminClient,
	type RouterInputs,
	type RouterOutputs
} from '${PACKAGE}';

type User = RouterOutputs['users']['list']['users'][number];
type FlagChange = RouterInputs['resources']['featureFlags']['update'];
type SecurityKey = RouterOutputs['securityKeys']['listMine']['keys'][number];
type SecondStep = RouterInputs['auth']['verifyOtp'];

export async function finishWithApp(client: AdminClient, code: string): Promise<string> {
	const step: SecondStep = { code, method: 'totp' };
	return (await client.auth.verifyOtp.mutate(step)).status;
}

const [url, flagId] = process.argv.slice(2);
const token = process.env.ADMIN_API_TOKEN;
if (!url || !flagId || !token) throw new Error('usage: tool.ts <origin> <flag id>, ADMIN_API_TOKEN');

const api: AdminClient = createAdminClient({ url, token });
const users: User[] = (await api.users.list.query({ sort: 'username' })).users;
const keys: SecurityKey[] = (await api.securityKeys.listMine.query()).keys;
const keysVerifyingUser: number = keys.filter((key) => key.userVerified).length;

const flag = await api.resources.featureFlags.get.query({ id: flagId });
const change: FlagChange = {
	id: flag.id,
	version: flag.version,
	values: { description: 'checked by the package tool' }
};
const changed = await api.resources.featureFlags.update.mutate(change);
const { count } = await api.resources.featureFlags.action.mutate({
	action: changed.enabled ? 'disable' : 'enable',
	id: changed.id,
	version: changed.version
});

console.log('RESULT ' + JSON.stringify({
	usernames: users.map((user) => user.username),
	securityKeys: keys.length,
	keysVerifyingUser,
	enabledBefore: flag.enabled,
	toggled: count,
	updatedAtIsDate: changed.updatedAt instanceof Date
}));
`;

// Line 5: an action the resource does not have; line 6: a username taken for a number; line 7: a
// second-factor method there is none of; line 8: a security key's name taken for a number.
const WRONG = `import { createAdminClient } from '${PACKAGE}';

const api = createAdminClient({ url: 'http://127.0.0.1:9', token: 'unused' });

await api.resources.featureFlags.action.mutate({ action: 'explode', id: 'x', version: 1 });
const id: number = (await api.users.list.query({})).users[0]!.username;
await api.auth.verifyOtp.mutate({ code: '123456', method: 'sms' });
const keyName: number = (await api.securityKeys.listMine.query()).keys[0]!.name;
console.log(id, keyName);
`;

describe('the packed client in a project of its own', () => {
	let root: string;
	let tarball: string;
	let project: string;

	beforeAll(async () => {
		root = await mkdtemp(join(tmpdir(), 'client-package-'));
		const packed = await run(process.cwd(), 'npm', ['run', 'client:pack', '--', '--out', root]);
		expect(packed.code, packed.stdout + packed.stderr).toBe(0);
		tarball = packed.stdout.trim().split('\n').at(-1)!;
		expect(dirname(tarball)).toBe(root);

		project = join(root, 'tool');
		await mkdir(project);
		await writeFile(
			join(project, 'package.json'),
			JSON.stringify({ name: 'tool', private: true, type: 'module' })
		);
		const repo = JSON.parse(await readFile('package.json', 'utf8'));
		const installed = await run(project, 'npm', [
			'install',
			'--no-audit',
			'--no-fund',
			'--prefer-offline',
			`../${basename(tarball)}`,
			`typescript@${repo.devDependencies.typescript}`,
			`@types/node@${repo.devDependencies['@types/node']}`
		]);
		expect(installed.code, installed.stdout + installed.stderr).toBe(0);

		await writeFile(join(project, 'tool.ts'), TOOL);
		await writeFile(join(project, 'wrong.ts'), WRONG);
		const tsconfig = (file: string) => JSON.stringify({ ...TSCONFIG, files: [file] }, null, '\t');
		await writeFile(join(project, 'tsconfig.json'), tsconfig('tool.ts'));
		await writeFile(join(project, 'tsconfig.wrong.json'), tsconfig('wrong.ts'));
	}, SLOW);

	afterAll(() => rm(root, { recursive: true, force: true }));

	const tsc = (config: string) =>
		run(project, process.execPath, ['node_modules/typescript/bin/tsc', '-p', config]);

	it('installs as a copy from the tarball, with only its declared dependencies', async () => {
		const installed = join(project, 'node_modules', PACKAGE);
		expect((await lstat(installed)).isSymbolicLink()).toBe(false);
		const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8'));
		expect(Object.keys(manifest.dependencies).sort()).toEqual([
			'@trpc/client',
			'@trpc/server',
			'superjson'
		]);
		const types = await readFile(join(installed, 'index.d.ts'), 'utf8');
		const imported = [...types.matchAll(/from '([^']+)'|import\("([^"]+)"\)/g)].map(
			(match) => match[1] ?? match[2]
		);
		expect(new Set(imported)).toEqual(new Set(['@trpc/client', '@trpc/server']));
		const readme = await readFile(join(installed, 'README.md'), 'utf8');
		expect(readme).toMatch(/^- `resources`: .*`featureFlags\.update` \(m\)/m);
	});

	it('type-checks the tool with tsc --noEmit', { timeout: 120_000 }, async () => {
		const checked = await tsc('tsconfig.json');
		expect(checked.stdout + checked.stderr).toBe('');
		expect(checked.code).toBe(0);
	});

	it(
		'rejects wrong inputs (an action, a second-factor method) and wrong uses of outputs, naming the lines',
		{
			timeout: 120_000
		},
		async () => {
			const checked = await tsc('tsconfig.wrong.json');
			// 2: errors found (tsc's DiagnosticsPresent_OutputsGenerated, also under noEmit).
			expect(checked.code).toBe(2);
			const errors = checked.stdout.trim().split('\n');
			expect(errors, checked.stdout).toHaveLength(4);
			expect(errors[0]).toMatch(
				/^wrong\.ts\(5,\d+\): error TS2322: Type '"explode"' is not assignable to type '"enable" \| "disable"'/
			);
			expect(errors[1]).toMatch(
				/^wrong\.ts\(6,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/
			);
			expect(errors[2]).toMatch(
				/^wrong\.ts\(7,\d+\): error TS2322: Type '"sms"' is not assignable to type '"email" \| "totp" \| "backup_token"/
			);
			expect(errors[3]).toMatch(
				/^wrong\.ts\(8,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/
			);
		}
	);

	describe.each(dialects)('the tool against the production build on %s', (dialect) => {
		const stack = useAppStack(dialect);

		it(
			'lists users and changes a feature flag with an API token',
			{ timeout: 60_000 },
			async () => {
				const { db } = stack.database;
				const admin = await seedUser(db, { role: 'admin' });
				const member = await seedUser(db);
				const actor = { actorId: admin.id, ip: null, userAgent: null };
				const flag = await createFlag(db, actor, 'package-tool');
				const { token } = await insertApiToken(db, {
					userId: admin.id,
					name: 'package tool',
					scopes: ['read', 'write'],
					expiresAt: null
				});

				const ran = await run(
					project,
					process.execPath,
					['--experimental-strip-types', 'tool.ts', stack.server.origin, flag.id],
					{ ADMIN_API_TOKEN: token }
				);

				expect(ran.code, ran.stdout + ran.stderr).toBe(0);
				const line = /^RESULT (.*)$/m.exec(ran.stdout)?.[1];
				expect(line, ran.stdout).toBeDefined();
				const result = JSON.parse(line!);
				expect(result.usernames).toEqual(expect.arrayContaining([admin.username, member.username]));
				expect(result).toMatchObject({
					securityKeys: 0,
					keysVerifyingUser: 0,
					enabledBefore: false,
					toggled: 1,
					updatedAtIsDate: true
				});
				const row = await (db as unknown as Flags)
					.selectFrom('feature_flags')
					.select(['enabled', 'description'])
					.where('id', '=', flag.id)
					.executeTakeFirstOrThrow();
				expect(Boolean(row.enabled)).toBe(true);
				expect(row.description).toBe('checked by the package tool');
			}
		);
	});
});
