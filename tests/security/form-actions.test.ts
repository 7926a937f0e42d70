// Form action requests shaped by the attacker. SvelteKit looks an action up as `actions[name]`,
// so `?/constructor` and every other Object.prototype name reached a built-in (a 500 and an error
// in the log, from anyone, on any page), and `?/default` threw; actions read their body with
// `formData()`, which threw on a text/plain or malformed multipart body. The request guard lets
// through only names the page defines and bodies that are forms; the rest is a 4xx before
// anything runs, with nothing in the log.
import { beforeAll, describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { dialects } from '../../tools/databases';
import { signInOverHttp } from '../helpers/http-sign-in';
import { seedUser, trpcQuery, type CookieJar, type SeededUser } from '../../tools/sign-in';

/** constructor, __proto__, hasOwnProperty, toString, valueOf, isPrototypeOf, ... */
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);
/** Not on Object.prototype, still no page's action; `default` is reserved by SvelteKit. */
const OTHER_UNKNOWN_NAMES = ['default', 'nope', ''];

/** How a browser posts a form: without JavaScript, and through `use:enhance`. */
const SENDERS: Record<string, Record<string, string>> = {
	'a plain form': { accept: 'text/html' },
	'use:enhance': { accept: 'application/json', 'x-sveltekit-action': 'true' }
};

describe.each(dialects)('form action requests on %s', (dialect) => {
	const stack = useAppStack(dialect);
	let admin: SeededUser;
	/** The admin's verified session, by cookie. */
	let jar: CookieJar;
	/** Pages with actions of their own, and pages without any. */
	let pages: { withActions: string[]; withoutActions: string[] };

	beforeAll(async () => {
		admin = await seedUser(stack.database.db, { role: 'admin' });
		jar = (await signInOverHttp(stack.server.origin, stack.sink, admin, { transport: 'cookie' }))
			.jar;
		pages = {
			withActions: ['/login', '/login/verify', '/logout', `/users/${admin.id}`],
			withoutActions: ['/', '/audit']
		};
	});

	function post(path: string, headers: Record<string, string>): Promise<Response> {
		return fetch(stack.server.origin + path, {
			method: 'POST',
			redirect: 'manual',
			headers: {
				'content-type': 'application/x-www-form-urlencoded',
				origin: stack.server.origin,
				...headers
			},
			body: 'x=1'
		});
	}

	/** Every page, anonymous and signed in, both senders: 404 each time, nothing logged. */
	async function expectNotFoundEverywhere(names: string[], pagesToTry: string[]): Promise<void> {
		const logged = stack.server.output().length;
		for (const path of pagesToTry) {
			for (const cookie of [undefined, jar.header()!]) {
				for (const [sender, headers] of Object.entries(SENDERS)) {
					for (const name of names) {
						const response = await post(`${path}?/${name}`, {
							...headers,
							...(cookie && { cookie })
						});
						const attempt = `${path}?/${name} ${cookie ? 'signed in' : 'anonymous'}, ${sender}`;
						expect(response.status, attempt).toBe(404);
						await response.arrayBuffer();
					}
				}
			}
		}
		expect(stack.server.output().slice(logged)).toBe('');
	}

	it(`POST ?/${PROTOTYPE_NAMES.join(', ?/')} to pages with actions, anonymous and signed in [404; nothing logged]`, async () => {
		await expectNotFoundEverywhere(PROTOTYPE_NAMES, pages.withActions);
	});

	it(`POST ?/${PROTOTYPE_NAMES.join(', ?/')} to pages without actions, anonymous and signed in [404; nothing logged]`, async () => {
		await expectNotFoundEverywhere(PROTOTYPE_NAMES, pages.withoutActions);
	});

	it('POST ?/default, ?/nope and ?/ (no name) to pages with and without actions [404; nothing logged]', async () => {
		await expectNotFoundEverywhere(OTHER_UNKNOWN_NAMES, [
			...pages.withActions,
			...pages.withoutActions
		]);
	});

	it('plain POST without an action name to a page without actions (/, /audit) [404; nothing logged]', async () => {
		const logged = stack.server.output().length;
		for (const path of pages.withoutActions) {
			for (const headers of Object.values(SENDERS)) {
				expect((await post(path, { ...headers, cookie: jar.header()! })).status, path).toBe(404);
			}
		}
		expect(stack.server.output().slice(logged)).toBe('');
	});

	it('POST /logout?/constructor and /logout?/default with the session cookie [404; still signed in]', async () => {
		for (const name of ['constructor', 'default']) {
			const response = await post(`/logout?/${name}`, {
				accept: 'text/html',
				cookie: jar.header()!
			});
			expect(response.status, name).toBe(404);
		}
		const me = await trpcQuery<{ session: { state: string } } | null>(
			stack.server.origin,
			'auth.me',
			{
				jar
			}
		);
		expect(me.data?.session.state).toBe('verified');
	});

	/** Bodies an action's `formData()` cannot read, with the status each gets. */
	const UNREADABLE: Array<[string, string, string, number]> = [
		['a text/plain body', 'text/plain', 'username=a&password=b', 415],
		['a JSON body', 'application/json', '{"username":"a"}', 415],
		['no content type', '', 'username=a', 415],
		['a multipart body with no parts', 'multipart/form-data; boundary=x', 'garbage', 400],
		[
			'a multipart body cut short',
			'multipart/form-data; boundary=x',
			'--x\r\nContent-Disposition: form-data; name="username"\r\n\r\na\r\n',
			400
		],
		['a multipart body without a boundary', 'multipart/form-data', '--x--\r\n', 400]
	];

	it(`POST to /login, /theme and /login/verify?/verify with ${UNREADABLE.map(([name]) => name).join(', ')} [415 for what is not a form, 400 for a broken one; nothing logged]`, async () => {
		const logged = stack.server.output().length;
		for (const path of ['/login', '/theme', '/login/verify?/verify']) {
			for (const [name, type, body, status] of UNREADABLE) {
				for (const headers of Object.values(SENDERS)) {
					const response = await fetch(stack.server.origin + path, {
						method: 'POST',
						redirect: 'manual',
						headers: {
							origin: stack.server.origin,
							...headers,
							...(type && { 'content-type': type })
						},
						body: new TextEncoder().encode(body)
					});
					expect(response.status, `${path} with ${name}`).toBe(status);
				}
			}
		}
		expect(stack.server.output().slice(logged)).toBe('');
	});

	it('a well-formed multipart form to /login [reaches the action: 401 for a wrong password]', async () => {
		const form = new FormData();
		form.set('username', admin.username);
		form.set('password', 'not the password');
		const response = await fetch(`${stack.server.origin}/login`, {
			method: 'POST',
			redirect: 'manual',
			headers: { origin: stack.server.origin, accept: 'text/html' },
			body: form
		});
		expect(response.status).toBe(401);
	});

	it("a page's own actions still run (/theme's default, /login/verify's verify) [303 and 303 to /login]", async () => {
		const theme = await post('/theme', { accept: 'text/html' });
		expect(theme.status).toBe(303);
		// Anonymous: the action runs and sends the browser to sign in.
		const verify = await post('/login/verify?/verify', { accept: 'text/html' });
		expect(verify.status).toBe(303);
		expect(verify.headers.get('location')).toBe('/login');
	});
});
