import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import svelte from 'eslint-plugin-svelte';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import ts from 'typescript-eslint';
import { noImportCycle } from './lint/no-import-cycle.js';
import svelteConfig from './svelte.config.js';

/** Getters and setters made per object (below): object literals' and Object.defineProperty's. */
const PER_OBJECT_ACCESSORS = [
	{
		selector: "Property[kind='get'], Property[kind='set']",
		message:
			'Use a class getter: an object literal\'s getter keeps its closure alive until a full collection (README "Performance").'
	},
	{
		selector:
			'CallExpression[callee.property.name=/^definePropert(y|ies)$/] Property[key.name=/^(get|set)$/] > :function',
		message:
			'Use a class getter, or one shared function: a getter made per call keeps its closure alive until a full collection (README "Performance").'
	}
];

// ---- Layers -------------------------------------------------------------------------------
// route -> server caller -> tRPC procedure -> service -> auth / mail -> db -> Kysely. Nothing
// points up, nothing skips down past the services from a procedure, and product code (src/)
// never imports scripts, tests or bench code. Each zone is "files in `target` may not import
// files in `from` (except `except`)"; paths are relative to this file. `npm run lint` (and so CI)
// fails on a break.

const server = 'src/lib/server';
/** Modules of the server root that import nothing of the app: any layer may use them. */
const base = ['./config.ts', './ids.ts', './errors.ts', './dev-server.ts'];

const zones = {
	base: {
		target: base.map((file) => `${server}/${file.slice(2)}`),
		from: server,
		except: base,
		message:
			'config, ids, errors and dev-server are the base layer: they import nothing of the app.'
	},
	db: {
		target: `${server}/db`,
		from: server,
		except: ['./db', ...base],
		message: 'db/ is the lowest layer: it knows no auth, mail, service, procedure or bench code.'
	},
	mail: {
		target: `${server}/mail`,
		from: server,
		except: ['./mail', './db', ...base],
		message: 'mail/ sits on db/ only.'
	},
	auth: {
		target: `${server}/auth`,
		from: server,
		except: ['./auth', './db', ...base],
		message: 'auth/ sits on db/ only: it never imports a service, a procedure or mail.'
	},
	security: {
		target: `${server}/security`,
		from: server,
		except: ['./security', './auth', ...base],
		message: 'security/ (request guards for hooks) reads auth/ (the session cookie) only.'
	},
	services: {
		target: `${server}/services`,
		from: server,
		except: ['./services', './auth', './mail', './db', ...base],
		message: 'Services sit on auth/, mail/ and db/: never on tRPC, routes or hooks.'
	},
	resources: {
		// Resource definitions and the generic code behind them sit beside the services.
		target: `${server}/resources`,
		from: server,
		except: ['./resources', './services', './db', ...base],
		message: 'resources/ sits on services/ and db/: never on tRPC, routes or hooks.'
	},
	trpc: {
		target: `${server}/trpc`,
		from: [`${server}/startup.ts`, `${server}/theme.ts`, `${server}/pages`, 'src/routes'],
		message: 'The tRPC layer never imports routes or route helpers.'
	},
	pages: {
		// Route helpers (page groups: a guard, then the server caller) sit between routes and tRPC.
		target: `${server}/pages`,
		from: server,
		except: ['./pages', './trpc', './auth/page-guards.ts', './auth/types.ts', ...base],
		message: 'Page helpers use the server caller and the page guards only.'
	},
	procedures: {
		// Procedures go through services. They may read auth's types and set the session and
		// remembered-device cookies (the HTTP response is theirs); the context (trpc/context.ts)
		// builds the deps they pass.
		target: `${server}/trpc/routers`,
		from: server,
		except: [
			'./trpc',
			'./services',
			'./resources',
			'./auth/types.ts',
			'./auth/session-cookie.ts',
			'./auth/device-cookie.ts',
			...base
		],
		message: 'Procedures call services; they do not reach into auth/, mail/ or db/.'
	},
	routes: {
		// Routes and hooks call the server caller. From auth/ they may use only what a page needs
		// (guards, safe redirects, the session handle, the `locals` types, and the policy's numbers
		// that UI text states, such as the step-up window).
		target: ['src/routes', 'src/hooks.server.ts', 'src/app.d.ts'],
		from: server,
		except: [
			'./trpc',
			'./security',
			'./auth/page-guards.ts',
			'./auth/redirect.ts',
			'./auth/handle-session.ts',
			'./auth/types.ts',
			'./auth/policy.ts',
			'./pages',
			'./startup.ts',
			'./theme.ts',
			...base
		],
		message: 'Routes go through the server caller (trpc/caller.ts), never to services or db/.'
	},
	outside: {
		target: 'src',
		from: ['scripts', 'tests', 'bench', 'tools'],
		message: 'Product code never imports scripts, tests, bench code or tools.'
	},
	scripts: {
		target: 'scripts',
		from: 'tests',
		message: 'Scripts do not import tests: move what both need to a shared folder.'
	}
};

/** @typedef {{ target: string | string[]; from: string | string[]; except?: string[]; message: string }} Zone */

/**
 * `import-x/no-restricted-paths` with every zone.
 * @type {['error', { basePath: string; zones: Zone[] }]}
 */
const layers = ['error', { basePath: import.meta.dirname, zones: Object.values(zones) }];

const importResolver = createTypeScriptImportResolver({
	project: `${import.meta.dirname}/tsconfig.json`,
	extensions: ['.ts', '.js', '.svelte', '.d.ts', '.json']
});

export default defineConfig(
	{
		ignores: ['build/', '.svelte-kit/', 'data/', 'node_modules/', 'bench/.build/', 'dist-client/']
	},
	js.configs.recommended,
	ts.configs.recommended,
	svelte.configs.recommended,
	prettier,
	svelte.configs.prettier,
	{
		languageOptions: { globals: { ...globals.browser, ...globals.node } },
		rules: {
			// typescript-eslint's own guidance: the compiler already catches undefined names.
			'no-undef': 'off',
			// The app is served at the root (no `paths.base`), so plain hrefs are right; wrapping
			// every link in resolve() would only add noise to a template people copy.
			'svelte/no-navigation-without-resolve': 'off',
			'@typescript-eslint/no-unused-vars': [
				'error',
				{ argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }
			]
		}
	},
	{
		plugins: { 'import-x': importX, local: { rules: { 'no-import-cycle': noImportCycle } } },
		settings: {
			// Resolves `$lib/...` through tsconfig.json (which extends SvelteKit's generated one).
			'import-x/resolver-next': [importResolver],
			'local/resolver': importResolver,
			'local/root': import.meta.dirname
		},
		rules: {
			'import-x/no-restricted-paths': layers,
			'local/no-import-cycle': 'error'
		}
	},
	{
		// Browser code imports only types from the server (SvelteKit refuses the rest at build).
		files: ['src/lib/**', 'src/routes/**/*.svelte'],
		ignores: [`${server}/**`],
		rules: {
			'@typescript-eslint/no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							regex: '(^\\$lib/server|/server)(/|$)',
							allowTypeImports: true,
							message: 'Browser code imports only types from the server.'
						}
					]
				}
			]
		}
	},
	{
		// Migrations are frozen: they must not depend on today's table types (Kysely's advice).
		files: ['migrations/**/*.ts', 'scripts/new-migration.ts'],
		rules: { '@typescript-eslint/no-explicit-any': 'off' }
	},
	// No getter or setter made per object: V8 allocates an accessor pair in the old generation, so
	// one made for a request keeps its function, and all the function reaches, alive through every
	// young-generation collection until the next full one (README "Performance"). Class getters
	// live on the prototype, made once.
	{
		files: ['src/**'],
		rules: { 'no-restricted-syntax': ['error', ...PER_OBJECT_ACCESSORS] }
	},
	// Every transaction goes through db/transaction.ts (decidingTransaction): on MySQL, and on a
	// Galera cluster at COMMIT, a transaction may lose a conflict, and only a committed one may
	// count; it is run again there, and its after-commit hooks (waking the mail sender) run there.
	{
		files: ['src/lib/server/**/*.ts'],
		ignores: ['src/lib/server/db/transaction.ts'],
		rules: {
			'no-restricted-syntax': [
				'error',
				{
					selector: "CallExpression[callee.property.name='transaction'][arguments.length=0]",
					message:
						'Open transactions with decidingTransaction (db/transaction.ts): it runs a transaction that lost a conflict again and runs after-commit hooks.'
				},
				// A later rule's options replace an earlier one's for the same files: keep these.
				...PER_OBJECT_ACCESSORS
			]
		}
	},
	// Counts are formatted without Intl (src/lib/numbers.ts): on the server, Intl's number
	// formatting maps about 4 MB more of Node's ICU data into every process that renders one.
	{
		files: ['src/**'],
		rules: {
			'no-restricted-properties': [
				'error',
				{
					property: 'toLocaleString',
					message: 'Use formatCount from $lib/numbers: Intl maps 4 MB of ICU data on the server.'
				},
				{
					object: 'Intl',
					property: 'NumberFormat',
					message: 'Use formatCount from $lib/numbers: Intl maps 4 MB of ICU data on the server.'
				}
			]
		}
	},
	// Who may import whom outside the app's own layers: the product (src/) ships alone, so it
	// imports none of the folders around it; tools/ (servers, databases and sign-ins for tests,
	// the bench and the load run) is neutral ground that tests/, bench/ and scripts/ share.
	{
		files: ['src/**'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							regex: '(^|/)(tests|scripts|bench|tools)/',
							message:
								'src/ is the product: it imports nothing from tests/, scripts/, bench/ or tools/.'
						}
					]
				}
			]
		}
	},
	{
		files: ['scripts/**', 'tools/**'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							regex: '(^|/)(tests|bench)/',
							message: 'Move what tests/ or bench/ and this file share to tools/.'
						}
					]
				}
			]
		}
	},
	{
		files: ['**/*.svelte', '**/*.svelte.ts'],
		languageOptions: {
			parserOptions: {
				projectService: true,
				extraFileExtensions: ['.svelte'],
				parser: ts.parser,
				svelteConfig
			}
		}
	}
);
