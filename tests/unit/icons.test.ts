// Icons come from one sprite (scripts/icons.ts): the committed file must be what the script makes
// from the list, and every icon a page draws must point at a symbol the sprite holds.
import { readFileSync } from 'node:fs';
import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import Icon from '$lib/components/ui/Icon.svelte';
import { ICON_NAMES } from '$lib/components/ui/icon-names';
import { buildSprite, SPRITE_PATH } from '../../scripts/icons';

const committed = readFileSync(SPRITE_PATH, 'utf8');

describe('the icon sprite', () => {
	it('is what npm run icons makes from the list (run it after changing the list)', () => {
		expect(committed).toBe(buildSprite());
	});

	it('holds one symbol with Lucide’s shapes for each listed name, and no other', () => {
		const ids = [
			...committed.matchAll(/<symbol id="([^"]+)" viewBox="0 0 24 24">(.*?)<\/symbol>/g)
		];
		expect(ids.map(([, id]) => id)).toEqual([...ICON_NAMES]);
		for (const [, , shapes] of ids)
			expect(shapes).toMatch(/^(<(path|circle|rect|line|polyline) [^>]+\/>)+$/);
		// Plus is two strokes in Lucide: the drawing is Lucide's, not a placeholder.
		expect(committed).toContain(
			'<symbol id="plus" viewBox="0 0 24 24"><path d="M5 12h14"/><path d="M12 5v14"/></symbol>'
		);
	});
});

describe('Icon', () => {
	it('draws a decorative <use> of the named symbol, with the given classes', () => {
		const { body } = render(Icon, {
			props: { name: 'shield-check', class: 'size-5 text-primary' }
		});
		const svg =
			/<svg class="icon size-5 text-primary" aria-hidden="true"><use href="([^"#]+)#shield-check"><\/use><\/svg>/.exec(
				body
			);
		expect(svg, body).not.toBeNull();
		// A file URL, never inlined as data: (a <use> cannot point into a data: URL's document).
		expect(svg![1]).not.toMatch(/^data:/);
	});
});
