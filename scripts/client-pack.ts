// npm run client:pack [-- --out <dir>]: builds the typed client (src/lib/client) as an npm package
// that a tool in another repository installs, and packs it with `npm pack` into dist-client/ (or
// <dir>). The package holds index.js (ESM), ONE index.d.ts whose AppRouter is generated from the
// router (scripts/client-router-types.ts) and so imports only @trpc/client, @trpc/server and
// superjson, a package.json and a README.md. Prints the tarball's path.
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';
import ts from 'typescript';
import { appRouter } from '../src/lib/server/trpc/router';
import { describeProcedures } from './api-reference';
import { renderClientReadme } from './client-readme';
import { procedurePaths, readRouterTypes, renderRouterDeclaration } from './client-router-types';

const CLIENT_SOURCE = 'src/lib/client/index.ts';
const ROUTER_MODULE = './app-router';
/** What the package's code and declaration may import: its dependencies. */
const DEPENDENCIES = ['@trpc/client', '@trpc/server', 'superjson'];

const { values: options } = parseArgs({ options: { out: { type: 'string' } } });
const outDir = resolve(options.out ?? 'dist-client');

const app = JSON.parse(await readFile('package.json', 'utf8')) as {
	name: string;
	version: string;
	description?: string;
	dependencies: Record<string, string>;
};
const name = `${app.name}-client`;

// The build happens inside the repository, where the compiler finds the dependencies' types.
const buildDir = resolve(`dist-client/.build-${process.pid}`);
const sourceDir = join(buildDir, 'src');
const emitDir = join(buildDir, 'emit');
const packageDir = join(buildDir, 'package');

try {
	await mkdir(sourceDir, { recursive: true });
	await mkdir(packageDir, { recursive: true });
	await mkdir(outDir, { recursive: true });

	const procedures = describeProcedures(appRouter);
	const routerTypes = readRouterTypes();
	const typed = procedurePaths(routerTypes.shape).join('\n');
	if (typed !== procedures.map((p) => p.path).join('\n')) {
		throw new Error("the router's type and its procedures at run time list different paths");
	}

	const client = await readFile(CLIENT_SOURCE, 'utf8');
	if (!client.includes(`from '${ROUTER_MODULE}'`)) {
		throw new Error(`${CLIENT_SOURCE} must take AppRouter from '${ROUTER_MODULE}'`);
	}
	await writeFile(join(sourceDir, 'index.ts'), client);
	const declaration = renderRouterDeclaration(routerTypes, 'src/lib/server/trpc/router.ts');
	const prettier = await resolveConfig(resolve(CLIENT_SOURCE));
	await writeFile(
		join(sourceDir, 'app-router.d.ts'),
		await format(declaration, { ...prettier, parser: 'typescript' })
	);

	compileClient(sourceDir, emitDir);
	await copyFile(join(sourceDir, 'app-router.d.ts'), join(emitDir, 'app-router.d.ts'));
	await copyFile(join(emitDir, 'index.js'), join(packageDir, 'index.js'));

	const bundle = await rollup({
		input: join(emitDir, 'index.d.ts'),
		plugins: [dts()],
		external: (id) => DEPENDENCIES.some((dep) => id === dep || id.startsWith(`${dep}/`))
	});
	const { output } = await bundle.generate({ format: 'es' });
	await bundle.close();
	const types = output[0].code;
	assertImportsOnly(types, 'index.d.ts');
	assertImportsOnly(await readFile(join(packageDir, 'index.js'), 'utf8'), 'index.js');
	await writeFile(join(packageDir, 'index.d.ts'), types);

	const manifest = {
		name,
		version: app.version,
		description: `Typed client for the ${app.name} API (tRPC, superjson)`,
		type: 'module',
		exports: { '.': { types: './index.d.ts', default: './index.js' } },
		main: './index.js',
		types: './index.d.ts',
		files: ['index.js', 'index.d.ts'],
		sideEffects: false,
		engines: { node: '>=18' },
		dependencies: Object.fromEntries(DEPENDENCIES.map((dep) => [dep, versionOf(dep)]))
	};
	await writeFile(join(packageDir, 'package.json'), JSON.stringify(manifest, null, '\t') + '\n');
	await writeFile(
		join(packageDir, 'README.md'),
		await renderClientReadme({ name, version: app.version, appName: app.name, procedures })
	);

	const packed = JSON.parse(
		execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], {
			cwd: packageDir,
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'inherit']
		})
	) as Array<{ filename: string }>;
	console.log(join(outDir, packed[0]!.filename));
} finally {
	await rm(buildDir, { recursive: true, force: true });
}

/** The exact version this repository uses, as the package's dependency. */
function versionOf(dependency: string): string {
	const version = app.dependencies[dependency];
	if (!version) throw new Error(`package.json has no dependency ${dependency}`);
	return version;
}

/**
 * index.js and index.d.ts from the client's source and the generated router declaration. The
 * consumer's view: strict, the dependencies' declarations checked too (no skipLibCheck), and
 * only the `fetch` types of the dom lib, no @types/node.
 */
function compileClient(from: string, to: string): void {
	const program = ts.createProgram([join(from, 'index.ts'), join(from, 'app-router.d.ts')], {
		target: ts.ScriptTarget.ES2022,
		module: ts.ModuleKind.ESNext,
		moduleResolution: ts.ModuleResolutionKind.Bundler,
		lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
		types: [],
		strict: true,
		noUncheckedIndexedAccess: true,
		verbatimModuleSyntax: true,
		skipLibCheck: false,
		declaration: true,
		rootDir: from,
		outDir: to,
		newLine: ts.NewLineKind.LineFeed,
		noEmitOnError: true
	});
	const result = program.emit();
	const problems = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
	if (problems.length > 0 || result.emitSkipped) {
		throw new Error(
			ts.formatDiagnostics(problems, {
				getCanonicalFileName: (file) => file,
				getCurrentDirectory: () => process.cwd(),
				getNewLine: () => '\n'
			})
		);
	}
}

/** Fails when `code` imports anything but the dependencies (a path back into the server, say). */
function assertImportsOnly(code: string, file: string): void {
	const source = ts.createSourceFile(file, code, ts.ScriptTarget.Latest, false);
	const found: string[] = [];
	const visit = (node: ts.Node): void => {
		if (
			(ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
			node.moduleSpecifier &&
			ts.isStringLiteral(node.moduleSpecifier)
		) {
			found.push(node.moduleSpecifier.text);
		}
		if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
			found.push((node.argument.literal as ts.StringLiteral).text);
		}
		ts.forEachChild(node, visit);
	};
	visit(source);
	const foreign = found.filter((specifier) => !DEPENDENCIES.includes(specifier));
	if (foreign.length > 0) throw new Error(`${file} imports ${foreign.join(', ')}`);
}
