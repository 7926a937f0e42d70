// Page data rendered on the server only: the serializer SvelteKit runs while rendering a page
// writes nothing of it, a data request (client-side navigation) gets it whole, and only pages that
// are never hydrated use it.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as devalue from 'devalue';
import { describe, expect, it } from 'vitest';
import { transport } from '../../src/hooks';
import { ServerRendered, serverRendered } from '../../src/lib/server-rendered';

const rows = Array.from({ length: 100 }, (_, i) => ({
	id: `u${i}`,
	username: `member-${i}`,
	createdAt: new Date(Date.UTC(2026, 0, 1 + (i % 28)))
}));

/** What SvelteKit's page render does with a node's data (runtime/server/page/data_serializer.js). */
function unevalForPage(data: unknown): string {
	return devalue.uneval(data, (thing) => {
		for (const [key, { encode }] of Object.entries(transport)) {
			const encoded = encode(thing);
			if (encoded) return `app.decode('${key}', ${devalue.uneval(encoded)})`;
		}
	});
}

/** What a data request answers (devalue.stringify with the transport's encoders) and the browser reads. */
function roundTripAsData(data: unknown): unknown {
	const reducers = Object.fromEntries(
		Object.entries(transport).map(([key, { encode }]) => [key, encode])
	);
	const revivers = Object.fromEntries(
		Object.entries(transport).map(([key, { decode }]) => [key, decode])
	);
	return devalue.parse(devalue.stringify(data, reducers), revivers);
}

describe('serverRendered page data', () => {
	it('is not serialized into a page: the render writes an empty marker, not the rows', () => {
		const page = unevalForPage({
			users: serverRendered({ isDataRequest: false }, rows),
			total: 100
		});
		expect(page).not.toContain('member-');
		expect(page.length).toBeLessThan(80);
		// The same rows unwrapped: every cell.
		expect(unevalForPage({ users: rows, total: 100 })).toContain('member-99');
	});

	it('reaches the browser whole on a data request (a client-side navigation into the page)', () => {
		const data = roundTripAsData({ users: serverRendered({ isDataRequest: true }, rows) }) as {
			users: ServerRendered<typeof rows>;
		};
		expect(data.users).toBeInstanceOf(ServerRendered);
		expect(data.users.value).toEqual(rows);
	});

	it('is used only by pages that are never hydrated (csr = false)', () => {
		const routes = join('src', 'routes');
		const users = (readdirSync(routes, { recursive: true, encoding: 'utf8' }) as string[])
			.filter((path) => /\+(page|layout)\.server\.ts$/.test(path))
			.map((path) => join(routes, path))
			.filter((path) => readFileSync(path, 'utf8').includes('serverRendered('));
		expect(users.length).toBeGreaterThanOrEqual(2);
		for (const path of users) {
			expect(readFileSync(path, 'utf8'), path).toMatch(/^export const csr = false;$/m);
		}
	});
});
