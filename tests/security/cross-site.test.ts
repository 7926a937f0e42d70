// Cross-site requests against the production build: what a page on another origin can make a
// signed-in (or about to sign in) victim's browser send. Every kind of POST a page can send
// without a preflight, and JSON with a foreign Origin or Sec-Fetch-Site, is refused before
// anything runs; preflights get no CORS grant; form actions refuse cross-site submissions.
import { beforeAll, describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { SIMPLE_FORM_BODIES } from '../helpers/form-post';
import { ACTIVITY_STAMPS, readAllTables } from '../helpers/database-contents';
import { dialects } from '../../tools/databases';
import { signInOverHttp, startSignInOverHttp } from '../helpers/http-sign-in';
import { seedUser, type CookieJar, type SeededUser } from '../../tools/sign-in';

const EVIL = 'https://evil.example';

interface CrossSiteVariant {
	/** What the request looks like, for the title. */
	name: string;
	headers: Record<string, string>;
}

const VARIANTS: CrossSiteVariant[] = [
	// What <form> and fetch(..., { mode: 'no-cors' }) can send without a preflight; a browser
	// always adds the page's Origin to a cross-origin POST.
	{ name: 'text/plain', headers: { 'content-type': 'text/plain', origin: EVIL } },
	{
		name: 'application/x-www-form-urlencoded',
		headers: { 'content-type': 'application/x-www-form-urlencoded', origin: EVIL }
	},
	{
		name: 'multipart/form-data',
		headers: { 'content-type': 'multipart/form-data; boundary=x', origin: EVIL }
	},
	{ name: 'no content type', headers: { origin: EVIL } },
	// These need a CORS grant the app never gives, but must not run even when sent.
	{
		name: 'JSON and a foreign Origin',
		headers: { 'content-type': 'application/json', origin: EVIL }
	},
	{
		name: 'JSON and Sec-Fetch-Site: cross-site',
		headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }
	},
	// A sibling subdomain is same-site: SameSite=Lax cookies go along, so only this guard stops it.
	{
		name: 'JSON from a sibling subdomain (Sec-Fetch-Site: same-site)',
		headers: {
			'content-type': 'application/json',
			origin: 'https://sibling.example',
			'sec-fetch-site': 'same-site'
		}
	}
];
const byName = VARIANTS.map((variant) => [variant.name, variant] as const);

describe.each(dialects)('cross-site requests on %s', (dialect) => {
	const stack = useAppStack(dialect);
	let admin: SeededUser;
	/** Signed in as the admin, by cookie, as the victim's browser is. */
	let adminJar: CookieJar;
	/** A member the attacks try to deactivate. */
	let target: SeededUser;

	beforeAll(async () => {
		admin = await seedUser(stack.database.db, { role: 'admin' });
		target = await seedUser(stack.database.db);
		adminJar = (
			await signInOverHttp(stack.server.origin, stack.sink, admin, { transport: 'cookie' })
		).jar;
	});

	const contents = () => readAllTables(stack.database.db, { ignore: ACTIVITY_STAMPS });

	/**
	 * Sends the body as bytes, so fetch adds no content type of its own; the cookie is the one
	 * the victim's browser holds for the app.
	 */
	function send(
		path: string,
		init: { method?: string; headers: Record<string, string>; body?: string; jar?: CookieJar }
	) {
		const headers = { ...init.headers };
		const cookie = init.jar?.header();
		if (cookie) headers.cookie = cookie;
		return fetch(stack.server.origin + path, {
			method: init.method ?? 'POST',
			headers,
			body: init.body === undefined ? undefined : new TextEncoder().encode(init.body),
			redirect: 'manual'
		});
	}

	/** The request changes nothing, sets no cookie, and is refused with 403. */
	async function expectRefused(request: () => Promise<Response>) {
		const before = await contents();
		const response = await request();
		expect(response.status).toBe(403);
		expect(response.headers.getSetCookie()).toEqual([]);
		expect(await contents()).toEqual(before);
	}

	describe('to the tRPC API', () => {
		it.each(byName)(
			'cross-site POST to auth.login with %s [403; no session cookie, no session]',
			async (_name, variant) => {
				const user = await seedUser(stack.database.db);
				const body = JSON.stringify({ json: { username: user.username, password: user.password } });
				await expectRefused(() => send('/trpc/auth.login', { headers: variant.headers, body }));
				const sessions = await stack.database.db
					.selectFrom('sessions')
					.select('id')
					.where('user_id', '=', user.id)
					.execute();
				expect(sessions).toEqual([]);
			}
		);

		it.each(byName)(
			"cross-site POST to users.setActive with the admin's cookie and %s [403; the member stays active]",
			async (_name, variant) => {
				const body = JSON.stringify({ json: { ids: [target.id], active: false } });
				await expectRefused(() =>
					send('/trpc/users.setActive', { headers: variant.headers, body, jar: adminJar })
				);
				const row = await stack.database.db
					.selectFrom('users')
					.select('is_active')
					.where('id', '=', target.id)
					.executeTakeFirstOrThrow();
				expect(Number(row.is_active)).toBe(1);
			}
		);

		it("cross-site link to users.setActive (GET, which carries Lax cookies) with the admin's cookie [405; the member stays active]", async () => {
			const input = encodeURIComponent(
				JSON.stringify({ json: { ids: [target.id], active: false } })
			);
			const before = await contents();
			const response = await send(`/trpc/users.setActive?input=${input}`, {
				method: 'GET',
				headers: { 'sec-fetch-site': 'cross-site' },
				jar: adminJar
			});
			expect(response.status).toBe(405);
			expect(await contents()).toEqual(before);
		});

		it.each(['/trpc/auth.login', '/trpc/users.setActive', '/login'])(
			"foreign origin's preflight to %s [no Access-Control-Allow-* header]",
			async (path) => {
				const response = await send(path, {
					method: 'OPTIONS',
					headers: {
						origin: EVIL,
						'access-control-request-method': 'POST',
						'access-control-request-headers': 'content-type, authorization'
					}
				});
				const names = [...response.headers.keys()];
				expect(names.filter((name) => name.startsWith('access-control-'))).toEqual([]);
			}
		);

		it("foreign origin reads auth.me with the admin's cookie [answer carries no Access-Control-Allow-*]", async () => {
			const response = await send('/trpc/auth.me', {
				method: 'GET',
				headers: { origin: EVIL, 'sec-fetch-site': 'cross-site' },
				jar: adminJar
			});
			const names = [...response.headers.keys()];
			expect(names.filter((name) => name.startsWith('access-control-'))).toEqual([]);
		});
	});

	describe('to form actions (login CSRF and friends)', () => {
		it.each(Object.keys(SIMPLE_FORM_BODIES))(
			"cross-site form POST to /login with the attacker's credentials as %s [403; no cookie, no session]",
			async (type) => {
				// Login CSRF: the victim's browser would be signed in as the attacker.
				const attacker = await seedUser(stack.database.db);
				const body = SIMPLE_FORM_BODIES[type]!({
					username: attacker.username,
					password: attacker.password
				});
				await expectRefused(() =>
					send('/login', { headers: { 'content-type': type, origin: EVIL }, body })
				);
				const sessions = await stack.database.db
					.selectFrom('sessions')
					.select('id')
					.where('user_id', '=', attacker.id)
					.execute();
				expect(sessions).toEqual([]);
			}
		);

		const form = (fields: Record<string, string>) => ({
			'content-type': 'application/x-www-form-urlencoded',
			origin: EVIL,
			body: new URLSearchParams(fields).toString()
		});

		it("cross-site form POST to /login/verify with the attacker's pending cookie and code [403; the session stays pending]", async () => {
			const attacker = await seedUser(stack.database.db);
			const { jar, code } = await startSignInOverHttp(stack.server.origin, stack.sink, attacker, {
				transport: 'cookie'
			});
			const { body, ...headers } = form({ code });
			await expectRefused(() => send('/login/verify?/verify', { headers, body, jar }));
			const sessions = await stack.database.db
				.selectFrom('sessions')
				.select('state')
				.where('user_id', '=', attacker.id)
				.execute();
			expect(sessions).toEqual([{ state: 'pending_otp' }]);
		});

		it("cross-site form POST to /logout with the admin's cookie [403; still signed in]", async () => {
			const { body, ...headers } = form({});
			await expectRefused(() => send('/logout', { headers, body, jar: adminJar }));
			const me = await send('/trpc/auth.me', { method: 'GET', headers: {}, jar: adminJar });
			expect(JSON.stringify(await me.json())).toContain('"verified"');
		});

		it("cross-site link or <img> to /logout (GET) with the admin's cookie [nothing happens; still signed in]", async () => {
			const before = await contents();
			const response = await send('/logout', {
				method: 'GET',
				headers: { 'sec-fetch-site': 'cross-site' },
				jar: adminJar
			});
			expect(response.status).toBe(303);
			expect(response.headers.getSetCookie()).toEqual([]);
			expect(await contents()).toEqual(before);
		});

		it("cross-site form POST to the admin's deactivate action on /users/[id] [403; the member stays active]", async () => {
			const { body, ...headers } = form({});
			await expectRefused(() =>
				send(`/users/${target.id}?/deactivate`, { headers, body, jar: adminJar })
			);
			const row = await stack.database.db
				.selectFrom('users')
				.select('is_active')
				.where('id', '=', target.id)
				.executeTakeFirstOrThrow();
			expect(Number(row.is_active)).toBe(1);
		});
	});
});
