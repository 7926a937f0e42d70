// The UI components' own look is a class of app.css's components layer (`.btn` and its variants,
// `.card`, `.input`, `.select-input`, `.textarea`), so a utility a caller adds wins over it by the
// cascade (Tailwind puts utilities in a later layer) without a class-merging library in the
// browser. These tests keep the names the components emit and the rules app.css defines together.
import { readFileSync } from 'node:fs';
import { createRawSnippet } from 'svelte';
import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import Button from '$lib/components/ui/Button.svelte';
import Card from '$lib/components/ui/Card.svelte';
import { buttonVariants, type ButtonSize, type ButtonVariant } from '$lib/components/ui/button';

const css = readFileSync('src/app.css', 'utf8');
const componentsLayer = css.slice(css.indexOf('@layer components {'));
const VARIANTS: ButtonVariant[] = [
	'default',
	'destructive',
	'outline',
	'secondary',
	'ghost',
	'link'
];
const SIZES: ButtonSize[] = ['default', 'sm', 'lg', 'icon'];

/** Whether app.css defines `.name` as a rule of the components layer. */
const inComponentsLayer = (name: string) =>
	new RegExp(`^\\t\\.${name} \\{$`, 'm').test(componentsLayer);

describe('component classes', () => {
	it('gives a button .btn and one class for its variant and one for its size', () => {
		expect(buttonVariants()).toBe('btn btn-primary btn-md');
		expect(buttonVariants({ variant: 'outline', size: 'sm' })).toBe('btn btn-outline btn-sm');
	});

	it('defines every class a button, a card or a field can get in the components layer', () => {
		const names = new Set(['card', 'input', 'select-input', 'textarea']);
		for (const variant of VARIANTS) {
			for (const size of SIZES) {
				for (const name of buttonVariants({ variant, size }).split(' ')) names.add(name);
			}
		}
		const missing = [...names].filter((name) => !inComponentsLayer(name));
		expect(missing).toEqual([]);
		// The check itself: a name app.css does not define is reported.
		expect(inComponentsLayer('btn-nonexistent')).toBe(false);
	});

	it("keeps a caller's utilities beside the component's class, for the cascade to decide", () => {
		const children = createRawSnippet(() => ({ render: () => '<span>Save</span>' }));
		const button = render(Button, { props: { class: 'w-full h-11', children } }).body;
		expect(button).toContain('class="btn btn-primary btn-md w-full h-11"');
		const card = render(Card, { props: { class: 'max-w-xl', children } }).body;
		expect(card).toContain('class="card max-w-xl"');
	});
});
