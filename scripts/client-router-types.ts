// The declaration of `AppRouter` that the client package ships (`npm run client:pack`): the
// compiler reads scripts/client-router-shape.ts against the server's source and prints every
// procedure's kind, input and output as plain structure. The result imports only @trpc/server,
// so a tool that installs the package type-checks without the server's files or packages.
import { resolve } from 'node:path';
import ts from 'typescript';

const SHAPE_FILE = resolve('scripts/client-router-shape.ts');
/** Declares `App.Locals`, which the server's types read. */
const AMBIENT_FILE = resolve('src/app.d.ts');

/** Names a printed type may still use: the global ones every consumer's lib has. */
const GLOBAL_NAMES = new Set(['Date']);

export interface ProcedureShape {
	kind: 'query' | 'mutation' | 'subscription';
	/** The printed input type, or null for a procedure that takes none. */
	input: string | null;
	output: string;
}

export interface RouterShape {
	[name: string]: ProcedureShape | { router: RouterShape };
}

export interface RouterTypes {
	shape: RouterShape;
	errorShape: string;
}

/** Reads the router's shape with the project's compiler options (run `svelte-kit sync` first). */
export function readRouterTypes(): RouterTypes {
	const config = ts.getParsedCommandLineOfConfigFile(resolve('tsconfig.json'), undefined, {
		...ts.sys,
		onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
			throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
		}
	});
	if (!config) throw new Error('tsconfig.json could not be read');
	const program = ts.createProgram([SHAPE_FILE, AMBIENT_FILE], {
		...config.options,
		noEmit: true
	});
	const source = program.getSourceFile(SHAPE_FILE);
	if (!source) throw new Error(`${SHAPE_FILE} is missing`);
	const problems = ts.getPreEmitDiagnostics(program, source);
	if (problems.length > 0) {
		throw new Error(ts.formatDiagnostics(problems, formatHost));
	}
	const checker = program.getTypeChecker();
	const moduleSymbol = checker.getSymbolAtLocation(source);
	const exported = (name: string) => {
		const symbol = moduleSymbol && checker.tryGetMemberInModuleExports(name, moduleSymbol);
		if (!symbol) throw new Error(`${SHAPE_FILE} exports no ${name}`);
		return checker.getTypeOfSymbolAtLocation(symbol, source);
	};
	const print = (type: ts.Type, where: string) => printType(checker, source, type, where);

	const transformer = checker.typeToString(exported('transformer'));
	if (transformer !== 'DataTransformer') {
		// The generated Config names DataTransformer: a change there must change it too.
		throw new Error(`the router's transformer is ${transformer}, expected DataTransformer`);
	}

	const walk = (type: ts.Type, prefix: string): RouterShape => {
		const shape: RouterShape = {};
		for (const property of checker.getPropertiesOfType(type)) {
			const path = prefix + property.name;
			const member = checker.getTypeOfSymbolAtLocation(property, source);
			const nested = member.getProperty('router');
			if (nested) {
				shape[property.name] = {
					router: walk(checker.getTypeOfSymbolAtLocation(nested, source), `${path}.`)
				};
				continue;
			}
			const part = (name: string) => {
				const symbol = member.getProperty(name);
				if (!symbol) throw new Error(`${path} is neither a procedure nor a router`);
				return checker.getTypeOfSymbolAtLocation(symbol, source);
			};
			const kind = part('kind');
			if (!kind.isStringLiteral()) throw new Error(`${path}: its kind is not known`);
			const input = part('input');
			shape[property.name] = {
				kind: kind.value as ProcedureShape['kind'],
				input: isUnsetMarker(input) ? null : print(input, `${path} input`),
				output: print(part('output'), `${path} output`)
			};
		}
		return shape;
	};

	return {
		shape: walk(exported('appRouterShape'), ''),
		errorShape: print(exported('errorShape'), 'the error shape')
	};
}

const formatHost: ts.FormatDiagnosticsHost = {
	getCanonicalFileName: (name) => name,
	getCurrentDirectory: () => process.cwd(),
	getNewLine: () => '\n'
};

/** tRPC's `unsetMarker`: the input of a procedure without `.input()`. */
function isUnsetMarker(type: ts.Type): boolean {
	return (type.flags & ts.TypeFlags.UniqueESSymbol) !== 0 && type.symbol?.name === 'unsetMarker';
}

/**
 * The type as source text. Fails when the text still names a type (other than the globals) or
 * says `any`: either would make the declaration depend on what the consumer lacks, or lie.
 */
function printType(
	checker: ts.TypeChecker,
	source: ts.SourceFile,
	type: ts.Type,
	where: string
): string {
	const node = checker.typeToTypeNode(
		type,
		undefined,
		ts.NodeBuilderFlags.NoTruncation | ts.NodeBuilderFlags.MultilineObjectLiterals
	);
	if (!node) throw new Error(`${where}: the compiler cannot print its type`);
	const named: string[] = [];
	const visit = (child: ts.Node): void => {
		if (ts.isTypeReferenceNode(child)) {
			named.push(ts.isIdentifier(child.typeName) ? child.typeName.text : 'a qualified name');
		}
		if (ts.isImportTypeNode(child) || ts.isTypeQueryNode(child)) named.push('an imported type');
		if (child.kind === ts.SyntaxKind.AnyKeyword) named.push('any');
		ts.forEachChild(child, visit);
	};
	visit(node);
	const text = ts.createPrinter().printNode(ts.EmitHint.Unspecified, node, source);
	const unknownNames = named.filter((name) => !GLOBAL_NAMES.has(name));
	if (unknownNames.length > 0) {
		throw new Error(
			`${where}: the printed type still uses ${[...new Set(unknownNames)].join(', ')}; ` +
				`teach Plain in scripts/client-router-shape.ts to write it out\n${text}`
		);
	}
	return text;
}

/** The generated module: `AppRouter` from the printed shapes, on @trpc/server's own types. */
export function renderRouterDeclaration(
	{ shape, errorShape }: RouterTypes,
	origin: string
): string {
	const renderRouter = (router: RouterShape): string =>
		'Router<{\n' +
		Object.entries(router)
			.map(([name, member]) => {
				const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
				if ('router' in member) return `${key}: ${renderRouter(member.router)};`;
				const input = member.input ?? 'typeof unsetMarker';
				return `${key}: Procedure<'${member.kind}', ${input}, ${member.output}>;`;
			})
			.join('\n') +
		'\n}>';
	const router = renderRouter(shape);
	const imports = [
		'BuildProcedure',
		'CreateRouterInner',
		'DataTransformer',
		'ProcedureRouterRecord',
		'ProcedureType',
		'RootConfig',
		...(router.includes('typeof unsetMarker') ? ['unsetMarker'] : [])
	];
	return [
		`// Generated by \`npm run client:pack\` from ${origin}: the router as a client sees it`,
		"// (every procedure's kind, input and output), without the server's context. Do not edit.",
		`import type { ${imports.join(', ')} } from '@trpc/server';`,
		'',
		'/** What a failed call carries as `error.shape` (and `error.data`) in a TRPCClientError. */',
		`type ErrorShape = ${errorShape};`,
		'',
		'type Config = RootConfig<{ ctx: object; meta: object; errorShape: ErrorShape; transformer: DataTransformer }>;',
		'',
		'type Procedure<Kind extends ProcedureType, Input, Output> = BuildProcedure<Kind, {',
		'\t_config: Config;',
		'\t_meta: object;',
		'\t_ctx_out: object;',
		'\t_input_in: Input;',
		'\t_input_out: Input;',
		'\t_output_in: Output;',
		'\t_output_out: Output;',
		'}, Output>;',
		'',
		'type Router<Record extends ProcedureRouterRecord> = CreateRouterInner<Config, Record>;',
		'',
		`export type AppRouter = ${router};`,
		''
	].join('\n');
}

/** Every procedure path of a shape, sorted: to compare with the router's own list. */
export function procedurePaths(shape: RouterShape, prefix = ''): string[] {
	return Object.entries(shape)
		.flatMap(([name, member]) =>
			'router' in member ? procedurePaths(member.router, `${prefix}${name}.`) : [prefix + name]
		)
		.sort();
}
