// npm run icons [-- --check]: writes src/lib/assets/icons.svg, one SVG sprite of the icons named in
// src/lib/components/ui/icon-names.ts, from the Lucide package's own drawings.
//
// Why a sprite: a page drew each icon as its own inline <svg> through a Svelte component, rebuilt
// on every render (about 6 % of a list page's server time) and sent in full every time (about 9 kB
// of a page's HTML). Now each icon is `<svg><use href="/_app/immutable/assets/icons.<hash>.svg#name">`
// and the browser caches the sprite for good (its name changes with its content).
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ICON_NAMES } from '../src/lib/components/ui/icon-names';

export const SPRITE_PATH = resolve('src/lib/assets/icons.svg');

type IconNode = Array<[tag: string, attributes: Record<string, string>]>;

/** The icon's shapes, from the `iconData` each @lucide/svelte icon file declares. */
function iconNode(iconsDir: string, name: string): IconNode {
	const source = readFileSync(join(iconsDir, `${name}.svelte`), 'utf8');
	const data = /const iconData = (\{.*\});/.exec(source)?.[1];
	if (!data)
		throw new Error(`@lucide/svelte: no iconData in ${name}.svelte (has the package changed?)`);
	return (JSON.parse(data) as { node: IconNode }).node;
}

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/** The sprite's text: one <symbol> per name, in the list's order. */
export function buildSprite(): string {
	const iconsDir = resolve('node_modules/@lucide/svelte/dist/icons');
	const symbols = ICON_NAMES.map((name) => {
		const shapes = iconNode(iconsDir, name)
			.map(([tag, attributes]) => {
				const text = Object.entries(attributes)
					.map(([key, value]) => ` ${key}="${escapeAttribute(value)}"`)
					.join('');
				return `<${tag}${text}/>`;
			})
			.join('');
		return `<symbol id="${name}" viewBox="0 0 24 24">${shapes}</symbol>`;
	});
	// Stroke and fill come from the page's `.icon` class (src/app.css), as Lucide's own attributes
	// would: a <use> inherits them from the <svg> it sits in.
	return `<svg xmlns="http://www.w3.org/2000/svg">\n${symbols.join('\n')}\n</svg>\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve('scripts/icons.ts')) {
	const sprite = buildSprite();
	if (process.argv.includes('--check')) {
		const current = readFileSync(SPRITE_PATH, 'utf8');
		if (current !== sprite) {
			console.error('src/lib/assets/icons.svg is out of date: run npm run icons');
			process.exit(1);
		}
	} else {
		writeFileSync(SPRITE_PATH, sprite);
		console.log(`wrote ${SPRITE_PATH}: ${ICON_NAMES.length} icons, ${sprite.length} bytes`);
	}
}
