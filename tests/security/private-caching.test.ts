// Answers about a signed-in person kept by a cache: a shared proxy or the browser's own disk
// would hand the admin's pages, data and API answers to the next person who asks, or keep them
// after logout. Every answer to a request that presents a session or a token, every answer that
// sets the session cookie, and every answer to a POST carries `Cache-Control: private, no-store`.
import { beforeAll, describe, expect, it } from 'vitest';
import { insertApiToken } from '$lib/server/auth/api-tokens';
import { useAppStack } from '../helpers/app-stack';
import { dialects } from '../../tools/databases';
import { postForm } from '../helpers/form-post';
import { signInOverHttp, startSignInOverHttp } from '../helpers/http-sign-in';
import { seedUser, trpcMutation } from '../../tools/sign-in';

const PRIVATE = 'private, no-store';

/** What each kind of answer is asked with; `headers` carry the credential. */
interface Exchange {
	name: string;
	path: string;
	method: 'GET' | 'POST';
	/** Form fields or a tRPC input. */
	body?: string;
	contentType?: string;
}

const EXCHANGES: Exchange[] = [
	{ name: 'a page', path: '/account', method: 'GET' },
	{ name: "a page's __data.json", path: '/account/__data.json', method: 'GET' },
	{ name: 'a /trpc query', path: '/trpc/auth.me', method: 'GET' },
	{
		name: 'a /trpc mutation',
		path: '/trpc/twoFactor.requestEmail',
		method: 'POST',
		body: JSON.stringify({ json: { email: 'not an address' } }),
		contentType: 'application/json'
	},
	{
		name: 'a form action',
		path: '/theme',
		method: 'POST',
		body: 'theme=dark',
		contentType: 'application/x-www-form-urlencoded'
	}
];

describe.each(dialects)('cache headers on %s', (dialect) => {
	const stack = useAppStack(dialect);
	/** The request headers that present each credential. */
	const credentials: Record<string, Record<string, string>> = {};

	beforeAll(async () => {
		const { origin } = stack.server;
		const { db } = stack.database;
		const pending = await startSignInOverHttp(origin, stack.sink, await seedUser(db), {
			transport: 'cookie'
		});
		credentials['a pending session cookie'] = { cookie: pending.jar.header()! };
		const cookie = await signInOverHttp(origin, stack.sink, await seedUser(db), {
			transport: 'cookie'
		});
		credentials['a verified session cookie'] = { cookie: cookie.jar.header()! };
		const bearer = await signInOverHttp(origin, stack.sink, await seedUser(db), {
			transport: 'bearer'
		});
		credentials['a verified bearer session'] = { authorization: `Bearer ${bearer.token}` };
		const owner = await seedUser(db);
		const { token } = await insertApiToken(db, {
			userId: owner.id,
			name: 'ci',
			scopes: ['read', 'write'],
			expiresAt: null
		});
		credentials['an API token'] = { authorization: `Bearer ${token}` };
		// A stale cookie still belongs to a browser that believes it is signed in.
		credentials['an unknown session cookie'] = { cookie: 'session=not-a-session' };
	});

	function send(exchange: Exchange, headers: Record<string, string>): Promise<Response> {
		return fetch(stack.server.origin + exchange.path, {
			method: exchange.method,
			redirect: 'manual',
			headers: {
				origin: stack.server.origin,
				accept: 'text/html',
				...(exchange.contentType && { 'content-type': exchange.contentType }),
				...headers
			},
			body: exchange.body
		});
	}

	it(`a page, its __data.json, a /trpc query and mutation and a form action, each asked with a pending or verified session cookie, a bearer session, an API token or an unknown session cookie [Cache-Control: ${PRIVATE}]`, async () => {
		for (const [credential, headers] of Object.entries(credentials)) {
			for (const exchange of EXCHANGES) {
				const response = await send(exchange, headers);
				await response.arrayBuffer();
				const attempt = `${exchange.name} with ${credential} (${response.status})`;
				expect(response.headers.get('cache-control'), attempt).toBe(PRIVATE);
			}
		}
	});

	it(`password form and auth.login, which set the pending session cookie, and a bearer auth.login, which returns the token [Cache-Control: ${PRIVATE}]`, async () => {
		const { origin } = stack.server;
		const form = await seedUser(stack.database.db);
		const login = await postForm(origin, '/login', {
			username: form.username,
			password: form.password
		});
		expect(login.headers.getSetCookie().join()).toContain('session=');
		expect(login.headers.get('cache-control')).toBe(PRIVATE);

		for (const tokenType of ['cookie', 'bearer'] as const) {
			const user = await seedUser(stack.database.db);
			const reply = await trpcMutation(origin, 'auth.login', {
				input: { username: user.username, password: user.password, tokenType },
				headers: { origin }
			});
			expect(reply.status, tokenType).toBe(200);
			expect(reply.headers.get('cache-control'), tokenType).toBe(PRIVATE);
		}
	});

	it(`code form, which sets the verified session cookie [Cache-Control: ${PRIVATE}]`, async () => {
		const user = await seedUser(stack.database.db);
		const { jar, code } = await startSignInOverHttp(stack.server.origin, stack.sink, user, {
			transport: 'cookie'
		});
		const verify = await postForm(stack.server.origin, '/login/verify?/verify', { code }, { jar });
		expect(verify.status).toBe(303);
		expect(verify.headers.getSetCookie().join()).toContain('session=');
		expect(verify.headers.get('cache-control')).toBe(PRIVATE);
	});

	it('an anonymous GET of the login page and of health [left to the route: no no-store added]', async () => {
		for (const path of ['/login', '/trpc/health']) {
			const response = await fetch(stack.server.origin + path);
			await response.arrayBuffer();
			expect(response.status, path).toBe(200);
			expect(response.headers.get('cache-control') ?? '', path).not.toContain('no-store');
		}
	});
});
