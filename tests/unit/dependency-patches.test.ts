// patches/ (applied by patch-package on `npm install`): SvelteKit's tracked load URL and Svelte's
// legacy render result use getters shared by every object instead of new closures per object.
// V8 allocates accessor pairs in the old generation, so a closure per request kept the request
// (and, for the render result, the whole page) alive until the next full collection; README
// "Performance" has the figures. These tests fail if a patch is missing (an install with
// --ignore-scripts, a new version), and check the behaviour the patches must keep.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compile } from 'svelte/compiler';
import { asClassComponent } from 'svelte/legacy';
import { afterAll, describe, expect, it } from 'vitest';
// SvelteKit's runtime source is what the build bundles; its package exports do not name it.
// @ts-expect-error the runtime's internal modules come without type declarations
import { make_trackable as makeTrackable } from '../../node_modules/@sveltejs/kit/src/utils/url.js';

const make_trackable = makeTrackable as (
	url: URL,
	callback: () => void,
	searchParamsCallback: (name: string) => void,
	allowHash?: boolean
) => URL;

const getterOf = (object: object, key: string) => Object.getOwnPropertyDescriptor(object, key)?.get;

describe('SvelteKit: the URL a server load sees', () => {
	const TRACKED = ['href', 'pathname', 'search', 'toString', 'toJSON'] as const;

	function tracked(href: string, allowHash = false) {
		const reads: string[] = [];
		const url = make_trackable(
			new URL(href),
			() => reads.push('url'),
			(name: string) => reads.push(`param:${name}`),
			allowHash
		);
		return { url, reads };
	}

	it('shares one getter per property between the URLs of different loads', () => {
		const a = tracked('https://admin.example/users?page=2').url;
		const b = tracked('https://admin.example/audit').url;
		for (const key of [...TRACKED, 'hash']) {
			expect(getterOf(a, key), key).toBeTypeOf('function');
			expect(getterOf(a, key), key).toBe(getterOf(b, key));
		}
	});

	it("reports a read of each tracked property to its own load, with that load's URL", () => {
		const first = tracked('https://admin.example/users?page=2');
		const second = tracked('https://admin.example/audit?user=x');
		expect(first.url.pathname).toBe('/users');
		expect(first.url.search).toBe('?page=2');
		expect(first.url.href).toBe('https://admin.example/users?page=2');
		expect(String(first.url)).toBe('https://admin.example/users?page=2');
		expect(JSON.stringify({ at: first.url })).toBe('{"at":"https://admin.example/users?page=2"}');
		expect(first.reads).toEqual(['url', 'url', 'url', 'url', 'url']);
		expect(second.reads).toEqual([]);
		expect(second.url.pathname).toBe('/audit');
		expect(second.reads).toEqual(['url']);
	});

	it('reports a search parameter by name, and leaves untracked properties alone', () => {
		const { url, reads } = tracked('https://admin.example/users?page=2&sort=name');
		expect(url.searchParams.get('page')).toBe('2');
		expect(url.origin).toBe('https://admin.example');
		expect(reads).toEqual(['param:page']);
	});

	it('refuses url.hash on the server unless the load may read it', () => {
		expect(() => tracked('https://admin.example/users#top').url.hash).toThrow(
			'Cannot access event.url.hash'
		);
		const allowed = tracked('https://admin.example/users#top', true);
		expect(allowed.url.hash).toBe('#top');
		expect(allowed.reads).toEqual(['url']);
	});

	it('keeps the tracked properties enumerable, as own properties of the URL', () => {
		const keys = Object.keys(tracked('https://admin.example/').url);
		expect(keys).toEqual(expect.arrayContaining([...TRACKED, 'searchParams']));
	});
});

describe("Svelte: the legacy render result SvelteKit's root component returns", () => {
	const dir = mkdtempSync(join(tmpdir(), 'svelte-legacy-'));
	afterAll(() => rmSync(dir, { recursive: true, force: true }));

	async function component(source: string) {
		const file = join(dir, `component-${Math.random().toString(36).slice(2)}.js`);
		writeFileSync(file, compile(source, { generate: 'server' }).js.code);
		return asClassComponent((await import(pathToFileURL(file).href)).default);
	}

	it("shares the head and html getters between renders, each reading its own render's page", async () => {
		const Page = await component(
			'<script>let { name } = $props();</script><svelte:head><title>{name}</title></svelte:head><p>{name}</p>'
		);
		const render = (Page as unknown as { render: (props: object) => object }).render;
		const first = render({ name: 'first' }) as { head: string; html: string; css: unknown };
		const second = render({ name: 'second' }) as { head: string; html: string };
		expect(first.html).toContain('<p>first</p>');
		expect(first.head).toContain('<title>first</title>');
		expect(second.html).toContain('<p>second</p>');
		expect(first.css).toEqual({ code: '', map: null });
		for (const key of ['head', 'html']) {
			expect(getterOf(first, key), key).toBeTypeOf('function');
			expect(getterOf(first, key), key).toBe(getterOf(second, key));
		}
	});

	it('still answers SvelteKit as a promise of the same result', async () => {
		const Page = await component('<p>awaited</p>');
		const rendered = (Page as unknown as { render: (props: object) => PromiseLike<object> }).render(
			{}
		);
		await expect(rendered).resolves.toMatchObject({
			html: expect.stringContaining('<p>awaited</p>'),
			css: { code: '', map: null }
		});
	});
});
