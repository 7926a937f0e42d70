// ESLint rule `local/no-import-cycle`: no module may reach itself through its imports, type-only
// imports included. eslint-plugin-import-x's `no-cycle` skips `import type` by design (they vanish
// at run time), but a type cycle still ties two modules together: neither can move, be read or
// be replaced alone. Every import counts here (static, type-only, re-exports, dynamic `import()`).
//
// The graph is read from disk once per file and process (re-read when the file changes), with
// TypeScript's scanner for the import list and the same resolver the import-x rules use, so
// `$lib/...` aliases and `.svelte` files resolve as they do for the compiler.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** @typedef {{ resolve(source: string, file: string): { found: boolean; path?: string | null } }} Resolver */
/** @typedef {import('estree').ImportDeclaration | import('estree').ExportNamedDeclaration | import('estree').ExportAllDeclaration | import('estree').ImportExpression} ImportNode */

/** @type {Map<string, { mtimeMs: number; imports: string[] }>} file -> the files it imports */
const graphCache = new Map();

/**
 * The script of a .svelte component (both blocks), or the file as it is.
 * @param {string} file
 * @param {string} text
 */
function scriptOf(file, text) {
	if (!file.endsWith('.svelte')) return text;
	return [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
}

/**
 * Absolute paths of the project files `file` imports (outside node_modules); [] if unreadable.
 * @param {string} file
 * @param {Resolver} resolver
 * @param {string} root
 * @returns {string[]}
 */
function importsOf(file, resolver, root) {
	let stat;
	try {
		stat = fs.statSync(file);
	} catch {
		return [];
	}
	const cached = graphCache.get(file);
	if (cached && cached.mtimeMs === stat.mtimeMs) return cached.imports;
	const text = scriptOf(file, fs.readFileSync(file, 'utf8'));
	const imports = [];
	for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
		const target = resolveProjectFile(fileName, file, resolver, root);
		if (target) imports.push(target);
	}
	graphCache.set(file, { mtimeMs: stat.mtimeMs, imports });
	return imports;
}

/**
 * The project file `source` names from `file`, or null (a package, or not found).
 * @param {string} source
 * @param {string} file
 * @param {Resolver} resolver
 * @param {string} root
 */
function resolveProjectFile(source, file, resolver, root) {
	const result = resolver.resolve(source, file);
	if (!result.found || !result.path) return null;
	const target = path.resolve(result.path);
	if (
		!target.startsWith(root + path.sep) ||
		target.includes(`${path.sep}node_modules${path.sep}`)
	) {
		return null;
	}
	return target;
}

/**
 * A path of imports from `from` to `to` (both included), or null: breadth-first, so the shortest.
 * @param {string} from
 * @param {string} to
 * @param {Resolver} resolver
 * @param {string} root
 */
function pathBack(from, to, resolver, root) {
	/** @type {Map<string, string | null>} */
	const previous = new Map([[from, null]]);
	const queue = [from];
	for (let current = queue.shift(); current !== undefined; current = queue.shift()) {
		for (const next of importsOf(current, resolver, root)) {
			if (next === to) {
				const route = [to];
				/** @type {string | null | undefined} */
				let step = current;
				while (step) {
					route.unshift(step);
					step = previous.get(step);
				}
				return route;
			}
			if (!previous.has(next)) {
				previous.set(next, current);
				queue.push(next);
			}
		}
	}
	return null;
}

/** @type {import('eslint').Rule.RuleModule} */
export const noImportCycle = {
	meta: {
		type: 'problem',
		docs: { description: 'Forbid import cycles, type-only imports included.' },
		schema: [],
		messages: { cycle: 'Import cycle: {{route}}' }
	},
	create(context) {
		const resolver = /** @type {Resolver} */ (context.settings['local/resolver']);
		const root = path.resolve(
			/** @type {string} */ (context.settings['local/root'] ?? context.cwd)
		);
		const file = path.resolve(context.physicalFilename);

		/** @param {ImportNode} node */
		function check(node) {
			const source = node.source;
			if (source?.type !== 'Literal' || typeof source.value !== 'string') return;
			const target = resolveProjectFile(source.value, file, resolver, root);
			if (!target || target === file) return;
			const route = pathBack(target, file, resolver, root);
			if (!route) return;
			context.report({
				node: source,
				messageId: 'cycle',
				data: { route: [file, ...route].map((p) => path.relative(root, p)).join(' -> ') }
			});
		}

		return {
			ImportDeclaration: check,
			ExportNamedDeclaration: check,
			ExportAllDeclaration: check,
			ImportExpression: check
		};
	}
};
