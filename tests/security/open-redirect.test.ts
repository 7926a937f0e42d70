// Open redirects: `redirectTo` values and Referer headers whose path a URL parser normalises into
// `//host`, which a browser reads as another site. Dot segments (`.`, `..`, `%2e%2e`) are resolved
// before the path is used, so the check must hold for the normalised path as well.
import { beforeAll, describe, expect, it } from 'vitest';
import { refererPath, safeRedirectPath } from '$lib/server/auth/redirect';
import { useAppStack } from '../helpers/app-stack';
import { dialects } from '../../tools/databases';
import { postForm } from '../helpers/form-post';
import { signInOverHttp } from '../helpers/http-sign-in';
import { CookieJar, seedUser, waitForCode } from '../../tools/sign-in';

/** Each starts with a single `/` but normalises to `//evil.example` (or `///`), another host. */
const DOT_SEGMENT_REDIRECTS = [
	'/.//evil.example',
	'/..//evil.example',
	'/%2e%2e//evil.example',
	'/%2E%2E//evil.example',
	'/%2e//evil.example',
	'/.%2e//evil.example',
	'/a/..//evil.example',
	'/users/../..//evil.example',
	'/././/evil.example',
	'/.//.//evil.example',
	'/%2e%2e/%2e%2e//evil.example/path?x=1#top',
	'/..//evil.example/login?redirectTo=/'
];
const DOT_SEGMENT_ATTACKS =
	'/.//evil, /..//evil, /%2e%2e//evil, /%2E%2E//evil, /%2e//evil, /.%2e//evil, /a/..//evil, ' +
	'/users/../..//evil, /././/evil, /.//.//evil, with a query and a fragment';

/** Still pages of this site after normalisation: kept, normalised. */
const KEPT: Array<[string, string]> = [
	['/users?page=2', '/users?page=2'],
	['/users/./x/..', '/users/'],
	['/a/../account#password', '/account#password'],
	['/..', '/']
];

describe('safeRedirectPath', () => {
	it(`redirectTo of ${DOT_SEGMENT_ATTACKS} [/]`, () => {
		for (const value of DOT_SEGMENT_REDIRECTS) {
			expect(safeRedirectPath(value), value).toBe('/');
		}
	});

	it('redirectTo of /.\\/evil, /..\\evil, /%2e%2e%2f/evil, /%2e%2e%5c/evil [/]', () => {
		const values = ['/.\\/evil.example', '/..\\evil.example', '/%2e%2e%2f/evil.example'];
		for (const value of [...values, '/%2e%2e%5c/evil.example']) {
			expect(safeRedirectPath(value), value).toBe('/');
		}
	});

	it.each(KEPT)('redirectTo of %s [kept as %s]', (value, expected) => {
		expect(safeRedirectPath(value)).toBe(expected);
	});
});

describe('refererPath (where the theme form sends the browser back to)', () => {
	const ORIGIN = 'http://app.test';

	it.each(['http://[', 'not a url', 'https://', 'http://exa mple.test/', '::', ''])(
		'malformed Referer %j [/, no exception]',
		(referer) => {
			expect(refererPath(referer, ORIGIN)).toBe('/');
		}
	);

	it(`Referer of this origin with the path ${DOT_SEGMENT_ATTACKS} [/]`, () => {
		for (const path of DOT_SEGMENT_REDIRECTS) {
			expect(refererPath(ORIGIN + path, ORIGIN), path).toBe('/');
		}
		expect(refererPath(`${ORIGIN}//evil.example/x`, ORIGIN)).toBe('/');
	});

	it('Referer of another origin [/]; of this origin [its path and query]', () => {
		expect(refererPath('https://evil.example/users', ORIGIN)).toBe('/');
		expect(refererPath(`${ORIGIN}/users?page=2`, ORIGIN)).toBe('/users?page=2');
	});
});

describe.each(dialects)('redirects over HTTP on %s', (dialect) => {
	const stack = useAppStack(dialect);
	/** A verified session, by cookie. */
	let verified: CookieJar;

	beforeAll(async () => {
		const user = await seedUser(stack.database.db);
		verified = (
			await signInOverHttp(stack.server.origin, stack.sink, user, { transport: 'cookie' })
		).jar;
	});

	/** Password form, then the code form, without JavaScript; returns the code form's Location. */
	async function verifyWithRedirect(redirectTo: string): Promise<string | null> {
		const user = await seedUser(stack.database.db);
		const jar = new CookieJar();
		const query = `redirectTo=${encodeURIComponent(redirectTo)}`;
		const login = await postForm(
			stack.server.origin,
			`/login?${query}`,
			{ username: user.username, password: user.password },
			{ jar }
		);
		expect(login.status).toBe(303);
		const { code } = await waitForCode(stack.sink, user.email!);
		const verify = await postForm(
			stack.server.origin,
			`/login/verify?/verify&${query}`,
			{ code },
			{ jar }
		);
		expect(verify.status, redirectTo).toBe(303);
		return verify.headers.get('location');
	}

	/** GET `path` with the verified session; returns the Location of its 303. */
	async function loadWithRedirect(path: string, redirectTo: string): Promise<string | null> {
		const response = await fetch(
			`${stack.server.origin}${path}?redirectTo=${encodeURIComponent(redirectTo)}`,
			{ headers: { cookie: verified.header()! }, redirect: 'manual' }
		);
		expect(response.status, `${path} ${redirectTo}`).toBe(303);
		return response.headers.get('location');
	}

	it(`code form without JavaScript with redirectTo of ${DOT_SEGMENT_ATTACKS} [303 to /]`, async () => {
		for (const redirectTo of DOT_SEGMENT_REDIRECTS) {
			expect(await verifyWithRedirect(redirectTo), redirectTo).toBe('/');
		}
	});

	it('code form without JavaScript with redirectTo=/users/./x/.. [303 to /users/]', async () => {
		expect(await verifyWithRedirect('/users/./x/..')).toBe('/users/');
	});

	it(`/login and /login/verify opened by a verified session with redirectTo of ${DOT_SEGMENT_ATTACKS} [303 to /]`, async () => {
		for (const redirectTo of DOT_SEGMENT_REDIRECTS) {
			expect(await loadWithRedirect('/login', redirectTo), redirectTo).toBe('/');
			expect(await loadWithRedirect('/login/verify', redirectTo), redirectTo).toBe('/');
		}
		expect(await loadWithRedirect('/login', '/users?page=2')).toBe('/users?page=2');
	});

	describe('the theme form, which sends the browser back to its Referer', () => {
		async function setTheme(referer: string): Promise<Response> {
			return postForm(stack.server.origin, '/theme', { theme: 'dark' }, { headers: { referer } });
		}

		it.each(['http://[', 'not a url', 'https://', 'http://exa mple.test/'])(
			'malformed Referer %j [303 to /, the theme set; no 500, nothing logged]',
			async (referer) => {
				const logged = stack.server.output().length;
				const response = await setTheme(referer);
				expect(response.status).toBe(303);
				expect(response.headers.get('location')).toBe('/');
				expect(response.headers.getSetCookie().join()).toContain('theme=dark');
				expect(stack.server.output().slice(logged)).toBe('');
			}
		);

		it(`Referer of this origin with the path ${DOT_SEGMENT_ATTACKS}, or //evil [303 to /]`, async () => {
			const paths = [...DOT_SEGMENT_REDIRECTS, '//evil.example/x'];
			for (const path of paths) {
				const response = await setTheme(stack.server.origin + path);
				expect(response.status, path).toBe(303);
				expect(response.headers.get('location'), path).toBe('/');
			}
		});

		it('Referer of a page of this site [303 back to it]', async () => {
			const response = await setTheme(`${stack.server.origin}/users?page=2`);
			expect(response.headers.get('location')).toBe('/users?page=2');
		});
	});
});
