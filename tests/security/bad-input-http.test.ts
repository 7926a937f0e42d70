// Bad input over HTTP against the production build (`node build`): what tRPC's handle and
// SvelteKit's form actions make of oversized, malformed and mistyped requests before a procedure
// ever runs. Always a 4xx (or, for forms, a redirect to sign in): never a 5xx, never a stack
// trace or a database driver's words in the body, and no row changed.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type AppServer } from '../../tools/app-server';
import { createMigratedDatabase, dialects, type TestDatabase } from '../../tools/databases';
import { snapshotDatabase } from '../helpers/database-contents';
import { registeredResources, seedResourceRows, type CallTargets } from '../helpers/resource-calls';
import {
	CookieJar,
	extractCode,
	seedUser,
	trpcMutation,
	type SeededUser
} from '../../tools/sign-in';
import { leakIn } from '../helpers/leaks';

const KB10 = 'a'.repeat(10 * 1024);
const MB1 = 'p'.repeat(1024 * 1024);

// The actions that read a field and must answer a bad one with 400 and field errors; every other
// action takes no fields and ignores them. Seen in the signed-in test below. The resource pages'
// actions (/resources/<path>/...) are not listed: they are posted once per registered resource,
// and each must answer below 500 and leave the resource's table as it was.
const VALIDATING_ACTIONS = [
	'/account/security?/addSecurityKey',
	'/account/security?/stepUpKeyVerify',
	'/account/security?/stepUpVerify',
	'/account/security?/totpConfirm',
	'/account?/addSecurityKey',
	'/account?/changeEmail',
	'/account?/changePassword',
	'/account?/confirmOtpEmail',
	'/account?/createApiToken',
	'/account?/forgetDevice',
	'/account?/generateTokens',
	'/account?/removeSecurityKey',
	'/account?/renameSecurityKey',
	'/account?/requestOtpEmail',
	'/account?/revokeApiToken',
	'/account?/revokeSession',
	'/account?/stepUpKeyVerify',
	'/account?/stepUpVerify',
	'/account?/totpConfirm',
	'/login/forgot',
	'/login/invite',
	'/login/reset/[token]?/complete',
	'/login/reset/[token]?/securityKeyComplete',
	'/login/reset/[token]?/securityKeyOptions',
	'/login/reset/[token]?/sendCode',
	'/sessions?/revoke',
	'/users/[id]?/generateBackupTokens',
	'/users/[id]?/requestTwoFactorEmail',
	'/users/[id]?/revokeApiToken',
	'/users/[id]?/revokeSession',
	'/users/[id]?/setPassword',
	'/users/[id]?/setRole',
	'/users/[id]?/stepUpKeyVerify',
	'/users/[id]?/stepUpVerify',
	'/users/[id]?/updateProfile',
	'/users/new?/create',
	'/users/new?/stepUpKeyVerify',
	'/users/new?/stepUpVerify',
	'/users?/deactivate',
	'/users?/stepUpVerify'
];

// Every form action of every page, found in the route files so a new one is covered too.
const pageModules = import.meta.glob<{ actions?: Record<string, unknown> }>(
	'/src/routes/**/+page.server.ts'
);

interface FormAction {
	/** The page's URL (route groups dropped, `[id]` filled in) plus `?/name` for named actions. */
	url: string;
	label: string;
	/** The table of the resource a resource page's action changes. */
	table?: string;
}

/**
 * Every action of every page: `[id]` is the user's id, except on resource pages, which appear
 * once per registered resource with `[id]` one of its rows.
 */
async function formActions(userId: string, targets: CallTargets): Promise<FormAction[]> {
	const actions: FormAction[] = [];
	for (const [file, load] of Object.entries(pageModules)) {
		const names = Object.keys((await load()).actions ?? {});
		const route =
			file
				.replace(/^\/src\/routes/, '')
				.replace(/\/\+page\.server\.ts$/, '')
				.replace(/\/\([^)]+\)/g, '') || '/';
		const pages = route.includes('[resource]')
			? registeredResources.map((resource) => ({
					url: route
						.replace('[resource]', resource.path)
						.replace('[id]', targets.rows[resource.name]!.id),
					label: route.replace('[resource]', resource.path),
					table: resource.table
				}))
			: [{ url: route.replace('[id]', userId), label: route, table: undefined }];
		for (const page of pages) {
			for (const name of names) {
				const query = name === 'default' ? '' : `?/${name}`;
				actions.push({ url: page.url + query, label: page.label + query, table: page.table });
			}
		}
	}
	return actions.sort((a, b) => a.label.localeCompare(b.label));
}

// The fields any action reads, each with one bad value per variant.
const FIELDS = [
	'username',
	'password',
	'email',
	'code',
	'current',
	'next',
	'confirm',
	'role',
	'count',
	'name',
	'expiresInDays',
	'write',
	'id',
	'publicId',
	'ids',
	'revokeApiTokens',
	'theme'
];
const VARIANTS: Record<string, string[]> = {
	empty: [''],
	'10 KB strings': [KB10],
	'full-width digits': ['１２３４５６'],
	'SQL metacharacters': [`' OR 1=1 --`, `"; DROP TABLE users; --`],
	'every field twice': ['a', 'b']
};

type Encoding = 'urlencoded' | 'multipart';

function formBody(values: string[], encoding: Encoding): URLSearchParams | FormData {
	const form = encoding === 'multipart' ? new FormData() : new URLSearchParams();
	for (const field of FIELDS) for (const value of values) form.append(field, value);
	return form;
}

describe.each(dialects)('bad input over HTTP on %s', (dialect) => {
	let database: TestDatabase;
	let server: AppServer;
	let admin: SeededUser;
	/** The user in `/users/[id]`: a member the admin manages (and, last, deletes). */
	let member: SeededUser;
	/** A row of every resource, for the resource pages' `[id]`. */
	let targets: CallTargets;
	const jar = new CookieJar();

	beforeAll(async () => {
		database = await createMigratedDatabase(dialect);
		admin = await seedUser(database.db, { role: 'admin' });
		member = await seedUser(database.db);
		targets = await seedResourceRows(database.db, admin.id);
		// Mail stays in the outbox table (MAIL_TRANSPORT=outbox): the code is read from there.
		server = await startAppServer({ DATABASE_URL: database.url });
		await signIn(admin);
	});
	afterAll(async () => {
		await server?.stop();
		await database?.drop();
	});

	const sameOrigin = () => ({ origin: server.origin });

	async function signIn(user: SeededUser): Promise<void> {
		const login = await trpcMutation(server.origin, 'auth.login', {
			input: { username: user.username, password: user.password },
			headers: sameOrigin(),
			jar
		});
		expect(login.status).toBe(200);
		const mail = await database.db
			.selectFrom('mail_outbox')
			.select('text_body')
			.where('recipient', '=', user.email!)
			.orderBy('created_at', 'desc')
			.executeTakeFirstOrThrow();
		const verify = await trpcMutation(server.origin, 'auth.verifyOtp', {
			input: { code: extractCode({ text: mail.text_body }) },
			headers: sameOrigin(),
			jar
		});
		expect(verify.status).toBe(200);
	}

	/** A raw request to /trpc; the body is sent exactly as given. */
	async function rawTrpc(
		pathAndQuery: string,
		init: { method?: string; body?: string; headers?: Record<string, string> } = {}
	) {
		const response = await fetch(`${server.origin}/trpc/${pathAndQuery}`, {
			method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
			headers: {
				...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
				...init.headers
			},
			body: init.body,
			redirect: 'manual'
		});
		return { status: response.status, body: await response.text() };
	}

	/** A 4xx answered as tRPC's JSON error envelope (one per call for a batch), with no leaks. */
	function expectJsonError(reply: { status: number; body: string }, code?: string) {
		expect(reply.status, reply.body.slice(0, 300)).toBeGreaterThanOrEqual(400);
		expect(reply.status, reply.body.slice(0, 300)).toBeLessThan(500);
		expect(leakIn(reply.body), reply.body).toBeNull();
		const parsed = JSON.parse(reply.body) as unknown;
		const errors = (Array.isArray(parsed) ? parsed : [parsed]) as { error?: { json: unknown } }[];
		for (const entry of errors) {
			const data = (entry.error?.json as { data?: { code?: string; httpStatus?: number } }).data;
			expect(data?.httpStatus).toBeLessThan(500);
			if (code) expect(data?.code).toBe(code);
		}
	}

	describe('tRPC requests', () => {
		it('a 1 MB password to auth.login [413 JSON error from the body limit; no row changes]', async () => {
			const before = await snapshotDatabase(database.db);
			const reply = await rawTrpc('auth.login', {
				body: JSON.stringify({ json: { username: admin.username, password: MB1 } })
			});
			// adapter-node's BODY_SIZE_LIMIT (512 KB) refuses it before tRPC or argon2 see it.
			expect(reply.status).toBe(413);
			expect(JSON.parse(reply.body)).toEqual({ message: 'Payload Too Large' });
			expect(await snapshotDatabase(database.db)).toBe(before);
		});

		it('a password one character over the limit to auth.login [400 naming the password]', async () => {
			const reply = await trpcMutation(server.origin, 'auth.login', {
				input: { username: admin.username, password: 'p'.repeat(257) }
			});
			expect(reply.status).toBe(400);
			expect(reply.error?.data.fieldErrors).toMatchObject({
				fieldErrors: { password: expect.any(Array) }
			});
		});

		it('a 10 KB session cookie and a 10 KB bearer token [401 for users.list; auth.me is anonymous]', async () => {
			const oversized: Record<string, string>[] = [
				{ cookie: `session=${KB10}` },
				{ authorization: `Bearer ${KB10}` }
			];
			for (const headers of oversized) {
				expectJsonError(await rawTrpc('users.list', { headers }), 'UNAUTHORIZED');
				const me = await rawTrpc('auth.me', { headers });
				expect(me.status).toBe(200);
				expect(JSON.parse(me.body)).toEqual({ result: { data: { json: null } } });
			}
		});

		it('a malformed JSON body to a mutation [400 JSON error]', async () => {
			for (const body of ['{"json":', '{json: 1}', '\u0000', 'null null', '']) {
				expectJsonError(await rawTrpc('auth.login', { body }));
			}
		});

		it('a batch of three calls whose inputs are garbage [one 400 per call]', async () => {
			const body = JSON.stringify({
				0: 'garbage',
				1: { json: [1, 2, 3] },
				2: { json: { username: { $ne: null }, password: ['x'] } }
			});
			const reply = await rawTrpc('auth.login,setup.complete,auth.login?batch=1', { body });
			expectJsonError(reply, 'BAD_REQUEST');
			expect(JSON.parse(reply.body)).toHaveLength(3);
		});

		it('a GET whose input= is not JSON [400 JSON error]', async () => {
			for (const input of ['%7Bnot-json', '%E0%A4%A', 'undefined', '%5B%5D%5D']) {
				expectJsonError(await rawTrpc(`setup.status?input=${input}`));
				expectJsonError(await rawTrpc(`health?input=${input}`));
			}
		});

		it('superjson-shaped garbage: meta.values naming types the json cannot hold [400; no row changes]', async () => {
			const before = await snapshotDatabase(database.db);
			const login = '{"username":"a","password":"b"}';
			const bodies = [
				`{"json":${login},"meta":{"values":{"username":["bigint"]}}}`,
				`{"json":${login},"meta":{"values":{"password":["Date"]}}}`,
				`{"json":${login},"meta":{"values":{"password":["number"]}}}`,
				`{"json":${login},"meta":{"values":{"username":["class","X"]}}}`,
				`{"json":${login},"meta":{"values":{"username":["custom","Y"]}}}`,
				`{"json":${login},"meta":{"values":{"username":["map"]}}}`,
				`{"json":${login},"meta":{"values":{"username":"set"}}}`,
				`{"json":${login},"meta":{"values":"nonsense"}}`,
				`{"json":${login},"meta":{"values":{"__proto__":["map"]}}}`,
				`{"json":${login},"meta":{"referentialEqualities":{"a":1}}}`,
				`{"json":"x","meta":{"values":["regexp"]}}`
			];
			for (const body of bodies) {
				const reply = await rawTrpc('auth.login', { body });
				expectJsonError(reply);
				expect(reply.status, body).toBe(400);
			}
			expect(await snapshotDatabase(database.db)).toBe(before);
		});
	});

	describe('form actions (same-origin posts, as a browser without JavaScript sends them)', () => {
		async function post(url: string, form: URLSearchParams | FormData, signedIn: boolean) {
			// Encoded as fetch would; sent on a connection of its own, because the server may answer
			// (a redirect to sign in) without reading a large body and then drop the connection.
			const encoded = new Response(form);
			const body = Buffer.from(await encoded.arrayBuffer());
			const headers: Record<string, string> = {
				origin: server.origin,
				accept: 'text/html',
				'content-type': encoded.headers.get('content-type')!,
				'content-length': String(body.length)
			};
			const cookie = jar.header();
			if (signedIn && cookie) headers.cookie = cookie;
			return new Promise<{ status: number; location: string | null; body: string }>(
				(resolve, reject) => {
					const request = httpRequest(
						server.origin + url,
						{ method: 'POST', headers, agent: false },
						(response) => {
							let text = '';
							response.setEncoding('utf8');
							response.on('data', (chunk: string) => (text += chunk));
							response.on('end', () =>
								resolve({
									status: response.statusCode!,
									location: response.headers.location ?? null,
									body: text
								})
							);
						}
					);
					// An early answer may reset the connection while the body is still going out.
					request.on('error', reject);
					request.end(body);
				}
			);
		}

		it('a 1 MB password posted to the login form, urlencoded and multipart [413; no row changes]', async () => {
			const before = await snapshotDatabase(database.db);
			for (const form of [new URLSearchParams(), new FormData()]) {
				form.append('username', admin.username);
				form.append('password', MB1);
				const reply = await post('/login', form, false);
				expect(reply.status).toBe(413);
				expect(leakIn(reply.body), reply.body).toBeNull();
			}
			expect(await snapshotDatabase(database.db)).toBe(before);
		});

		it('every action of every page, anonymous, with bad fields [4xx or a redirect to sign in; never 500]', async () => {
			for (const action of await formActions(member.id, targets)) {
				for (const [variant, values] of Object.entries(VARIANTS)) {
					for (const encoding of ['urlencoded', 'multipart'] as const) {
						const reply = await post(action.url, formBody(values, encoding), false);
						const what = `${action.label} ${variant} ${encoding}: ${reply.status} ${reply.location}`;
						expect(leakIn(reply.body), `${what}: ${reply.body}`).toBeNull();
						if (reply.status === 303) {
							expect(reply.location, what).toMatch(/^\/(login|$|\?)/);
						} else {
							expect(reply.status, what).toBeGreaterThanOrEqual(400);
							expect(reply.status, what).toBeLessThan(500);
						}
					}
				}
			}
		});

		it('every action of every page, signed in as an admin, with bad fields [4xx with field errors, or ignored; never 500]', async () => {
			// Deleting the member and logging out would end the rest of the loop: they go last.
			const last = (action: FormAction) =>
				action.url === '/logout' ? 2 : action.url.endsWith('?/delete') ? 1 : 0;
			const actions = (await formActions(member.id, targets)).sort((a, b) => last(a) - last(b));
			const validated = new Set<string>();
			for (const action of actions) {
				for (const [variant, values] of Object.entries(VARIANTS)) {
					for (const encoding of ['urlencoded', 'multipart'] as const) {
						// A resource whose required fields all happen to be among FIELDS may be created.
						const changes = !action.table || action.url.endsWith('?/create');
						const tables = changes ? undefined : { tables: [action.table!] };
						const before = tables && (await snapshotDatabase(database.db, tables));
						const reply = await post(action.url, formBody(values, encoding), true);
						const what = `${action.label} ${variant} ${encoding}: ${reply.status} ${reply.location}`;
						expect(leakIn(reply.body), `${what}: ${reply.body}`).toBeNull();
						expect(reply.status, what).toBeLessThan(500);
						// None of the fields is a version, a row or `confirm=yes`: nothing may change.
						if (tables) expect(await snapshotDatabase(database.db, tables), what).toBe(before);
						if (action.table) continue;
						if (reply.status === 400 && reply.body.includes('Invalid input')) {
							// A hydrated page carries the field errors in its data; a server-rendered-only
							// page (the long lists, csr = false) has no data and shows the message.
							if (reply.body.includes('__sveltekit'))
								expect(reply.body, what).toContain('fieldErrors');
							else expect(reply.body, what).toMatch(/role="alert"[^>]*>(<!---->)?Invalid input/);
							validated.add(action.label);
						}
					}
				}
			}
			expect([...validated].sort()).toEqual(VALIDATING_ACTIONS);
		});
	});
});
