// The layer and cycle rules of eslint.config.js (and the product's other code rules), tried on
// deliberate breaks: a file that imports upward, two files that import each other's types only, a
// count formatted with Intl, a getter made per object. The files are written into the tree (the
// rules are path-based and read imports from disk), linted, and removed.
import { ESLint } from 'eslint';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve('.');
const server = join(root, 'src/lib/server');
const tag = randomBytes(4).toString('hex');
const written: string[] = [];

function write(path: string, text: string): string {
	writeFileSync(path, text);
	written.push(path);
	return path;
}

async function ruleIdsOf(files: string[]): Promise<string[]> {
	const eslint = new ESLint({ cwd: root });
	const results = await eslint.lintFiles(files);
	return results.flatMap((result) => result.messages.map((message) => message.ruleId ?? ''));
}

afterAll(() => {
	for (const path of written) rmSync(path, { force: true });
});

describe('eslint layers', () => {
	it('refuses auth/ importing a service (an upward import)', async () => {
		const file = write(
			join(server, 'auth', `zz-upward-${tag}.ts`),
			`import type { Actor } from '../services/actor';\nexport type T = Actor;\n`
		);
		expect(await ruleIdsOf([file])).toContain('import-x/no-restricted-paths');
	}, 60_000);

	it('refuses a procedure reaching into db/', async () => {
		const file = write(
			join(server, 'trpc', 'routers', `zz-skip-${tag}.ts`),
			`import { getDatabase } from '../../db';\nexport const d = getDatabase;\n`
		);
		expect(await ruleIdsOf([file])).toContain('import-x/no-restricted-paths');
	}, 60_000);

	it('refuses a transaction opened without decidingTransaction', async () => {
		const file = write(
			join(server, 'services', `zz-bare-transaction-${tag}.ts`),
			`import type { Kysely } from 'kysely';\n` +
				`export const run = (db: Kysely<object>) => db.transaction().execute(async () => 1);\n`
		);
		expect(await ruleIdsOf([file])).toContain('no-restricted-syntax');
	}, 60_000);

	it('refuses a count formatted with Intl in the product (formatCount instead)', async () => {
		const file = write(
			join(root, 'src/lib', `zz-locale-${tag}.ts`),
			`export const count = (n: number) => n.toLocaleString('en');\n` +
				`export const format = new Intl.NumberFormat('en');\n`
		);
		const ids = await ruleIdsOf([file]);
		expect(ids.filter((id) => id === 'no-restricted-properties')).toHaveLength(2);
	}, 60_000);

	it('refuses a getter made per object, in server code and in the rest of src/', async () => {
		// In a service both this rule and the transaction rule apply: neither may drop the other.
		const service = write(
			join(server, 'services', `zz-getters-${tag}.ts`),
			`import type { Kysely } from 'kysely';\n` +
				`export const wrap = (n: number) => ({ get value() { return n; } });\n` +
				`export const run = (db: Kysely<object>) => db.transaction().execute(async () => 1);\n`
		);
		const lib = write(
			join(root, 'src/lib', `zz-define-${tag}.ts`),
			`export const track = (url: URL, seen: () => void) =>\n` +
				`\tObject.defineProperty(url, 'href', { get: () => (seen(), 'x') });\n`
		);
		const messages = async (file: string) => {
			const [result] = await new ESLint({ cwd: root }).lintFiles([file]);
			return (result?.messages ?? [])
				.filter((message) => message.ruleId === 'no-restricted-syntax')
				.map((message) => message.message);
		};
		expect(await messages(service)).toEqual([
			expect.stringContaining('class getter'),
			expect.stringContaining('decidingTransaction')
		]);
		expect(await messages(lib)).toEqual([expect.stringContaining('class getter')]);
	}, 60_000);

	it('accepts a class getter and a shared getter function', async () => {
		const file = write(
			join(root, 'src/lib', `zz-shared-getters-${tag}.ts`),
			`export class Box { constructor(private readonly n: number) {}\n` +
				`\tget value(): number { return this.n; } }\n` +
				`function href(this: URL): string { return this.pathname; }\n` +
				`export const track = (url: URL) => Object.defineProperty(url, 'href', { get: href });\n`
		);
		expect(await ruleIdsOf([file])).toEqual([]);
	}, 60_000);

	it('refuses an import cycle made of type-only imports', async () => {
		const a = join(server, `zz-cycle-a-${tag}.ts`);
		const b = join(server, `zz-cycle-b-${tag}.ts`);
		write(a, `import type { B } from './zz-cycle-b-${tag}';\nexport type A = { b?: B };\n`);
		write(b, `import type { A } from './zz-cycle-a-${tag}';\nexport type B = { a?: A };\n`);
		const ids = await ruleIdsOf([a, b]);
		expect(ids.filter((id) => id === 'local/no-import-cycle')).toHaveLength(2);
	}, 60_000);

	it('accepts the same files once the cycle is cut', async () => {
		const a = join(server, `zz-cut-a-${tag}.ts`);
		const b = join(server, `zz-cut-b-${tag}.ts`);
		write(a, `export type A = { n: number };\n`);
		write(b, `import type { A } from './zz-cut-a-${tag}';\nexport type B = { a?: A };\n`);
		expect(await ruleIdsOf([a, b])).toEqual([]);
	}, 60_000);
});
