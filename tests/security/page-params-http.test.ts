// What pages make of their URL: every page that passes a query parameter (or a path segment) on
// to a procedure, asked with over-long, malformed, repeated and wrongly typed values, against the
// production build. Each answers with the page (the bad value ignored or reported), a redirect,
// or a clear 4xx page: never a 500, never a stack or a driver's words, and the server logs no
// error for any of it.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { registeredResources, seedResourceRows } from '../helpers/resource-calls';
import { useAppStack } from '../helpers/app-stack';
import { dialects } from '../../tools/databases';
import { signInOverHttp, startSignInOverHttp } from '../helpers/http-sign-in';
import { seedUser, type CookieJar, type SeededUser } from '../../tools/sign-in';
import { leakIn } from '../helpers/leaks';

/** What the server prints when something fails unexpectedly (hooks.server.ts, trpc/log.ts). */
const ERROR_LINE = /\[server\]|\[trpc\]|\berror\b/i;

const LONG = 'x'.repeat(4000);

/** One query string per kind of bad value for `name`. */
function badValues(name: string): string[] {
	return [
		`${name}=${LONG}`,
		`${name}=${'a'.repeat(101)}`,
		`${name}=`,
		`${name}=%00%01%FF%C0%AF`,
		`${name}=%E2%80%AE%3Cscript%3Ealert(1)%3C%2Fscript%3E`,
		`${name}=${encodeURIComponent("' OR 1=1 --")}`,
		`${name}=1&${name}=${LONG}`,
		`${name}=-1.5e309`,
		`${name}=9007199254740993`,
		`${name}=true`,
		`${name}=%5B%5D`,
		`${name}[]=1`
	];
}

interface PageParams {
	path: string;
	params: string[];
	/** Fixed parameters the bad ones are added to (the tab that reads `page`). */
	base?: string;
}

describe.each(dialects)('URL parameters of pages on %s', (dialect) => {
	const stack = useAppStack(dialect);
	let admin: SeededUser;
	let member: SeededUser;

	beforeAll(async () => {
		admin = await seedUser(stack.database.db, { role: 'admin' });
		member = await seedUser(stack.database.db);
	});

	async function signedIn(user: SeededUser): Promise<CookieJar> {
		const { jar } = await signInOverHttp(stack.server.origin, stack.sink, user, {
			transport: 'cookie'
		});
		return jar;
	}

	/** GETs each URL as a browser would; returns what went wrong, if anything. */
	async function visit(urls: string[], jar: CookieJar | null): Promise<string[]> {
		const problems: string[] = [];
		for (const url of urls) {
			const logged = stack.server.output().length;
			const cookie = jar?.header();
			const response = await fetch(stack.server.origin + url, {
				headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) },
				redirect: 'manual'
			});
			const body = await response.text();
			const errors = stack.server
				.output()
				.slice(logged)
				.split('\n')
				.filter((line) => ERROR_LINE.test(line));
			const what = `${url.slice(0, 120)}: ${response.status}`;
			if (response.status >= 500) problems.push(`${what} (a 5xx)`);
			const leak = leakIn(body);
			if (leak) problems.push(`${what} leaks ${leak}`);
			if (errors.length > 0) problems.push(`${what} logged ${errors[0]!.slice(0, 200)}`);
		}
		return problems;
	}

	function urlsOf({ path, params, base }: PageParams): string[] {
		return params.flatMap((name) =>
			badValues(name).map((query) => `${path}?${base ? `${base}&` : ''}${query}`)
		);
	}

	it('/audit?user= with a value over 100 characters, as an admin [200 with “No user …”; no 500, nothing logged]', async () => {
		const jar = await signedIn(admin);
		for (const length of [101, 254, 255, 4000]) {
			const url = `/audit?user=${'u'.repeat(length)}`;
			expect(await visit([url], jar)).toEqual([]);
			const response = await fetch(stack.server.origin + url, {
				headers: { cookie: jar.header()! },
				redirect: 'manual'
			});
			expect(response.status).toBe(200);
			expect(await response.text()).toContain('No user');
		}
	});

	it('/audit?user=<a username> among a dozen longer names that contain it, as an admin [303 to ?user=<its id>: the exact name is found]', async () => {
		const base = `ann${randomBytes(3).toString('hex')}`;
		for (let i = 0; i < 12; i++) await seedUser(stack.database.db, { username: `a${i}${base}` });
		const exact = await seedUser(stack.database.db, { username: base });
		const jar = await signedIn(admin);
		const response = await fetch(`${stack.server.origin}/audit?user=${base.toUpperCase()}`, {
			headers: { cookie: jar.header()! },
			redirect: 'manual'
		});
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toBe(`?user=${exact.id}`);
	});

	it("/audit?resource=<name> of a registered resource, as an admin [its rows' events, each with the resource's label and a link to the row]", async () => {
		const targets = await seedResourceRows(stack.database.db, admin.id);
		const jar = await signedIn(admin);
		for (const resource of registeredResources) {
			const id = targets.rows[resource.name]!.id;
			const response = await fetch(`${stack.server.origin}/audit?resource=${resource.name}`, {
				headers: { cookie: jar.header()! }
			});
			const body = await response.text();
			expect(response.status).toBe(200);
			expect(body).toContain(`href="/resources/${resource.path}/${id}"`);
			expect(body).toContain(resource.labelOne);
			expect(body).not.toContain(`href="/users/${id}"`);
		}
	});

	it('every page that passes a URL parameter to a procedure, as an admin, with over-long, malformed, repeated and wrong-type values [the page, a redirect or a 4xx page; never 500, no leak, nothing logged]', async () => {
		const jar = await signedIn(admin);
		const pages: PageParams[] = [
			{ path: '/audit', params: ['event', 'user', 'resource', 'from', 'to', 'page'] },
			{ path: '/audit', params: ['event', 'from', 'to', 'page'], base: `user=${member.id}` },
			{
				path: '/users',
				params: [
					'search',
					'role',
					'active',
					'locked',
					'emailConfirmed',
					'sort',
					'direction',
					'page',
					'pageSize'
				]
			},
			{ path: `/users/${member.id}`, params: ['tab', 'page'] },
			{ path: `/users/${member.id}`, params: ['page'], base: 'tab=history' },
			{ path: `/users/${member.id}`, params: ['page', 'pageSize'], base: 'tab=sessions' },
			{ path: '/sessions', params: ['userId', 'page', 'pageSize'] },
			{ path: '/', params: ['page'] },
			{ path: '/account', params: ['tab'] },
			{ path: '/users/new', params: ['role'] },
			{ path: '/login', params: ['redirectTo'] },
			{ path: '/login/verify', params: ['redirectTo', 'to', 'expires'] },
			{ path: '/dev/outbox', params: ['id'] }
		];
		const paths = [
			`/users/${LONG}`,
			'/users/%00',
			'/users/%FF%FE',
			`/users/${member.id.toUpperCase()}`,
			`/users/${'a'.repeat(32)}`,
			`/users/${'a'.repeat(33)}?tab=history&page=2`
		];
		expect(await visit([...pages.flatMap(urlsOf), ...paths], jar)).toEqual([]);
	});

	it('the sign-in pages with bad parameters, anonymous and between the password and the code [the page, a redirect or a 404; never 500, nothing logged]', async () => {
		const pending = await startSignInOverHttp(stack.server.origin, stack.sink, member, {
			transport: 'cookie'
		});
		const verify: PageParams = {
			path: '/login/verify',
			params: ['redirectTo', 'to', 'expires', 'resend', 'unsent', 'resent', 'backup', 'method']
		};
		expect(await visit(urlsOf(verify), pending.jar)).toEqual([]);
		const anonymous: PageParams[] = [
			{ path: '/login', params: ['redirectTo', 'setup'] },
			{ path: '/setup', params: ['token'] },
			{ path: '/login/verify', params: ['to'] }
		];
		expect(await visit(anonymous.flatMap(urlsOf), null)).toEqual([]);
	});
});
