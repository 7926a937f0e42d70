// Batches spelled with percent-encoding: tRPC decodes a batch's path before splitting it on `,`,
// so `%2C` joins calls and `%2E` spells a dot. The guard must count and name the calls exactly as
// tRPC will, or `%2C` lifts the batch cap and an encoded mutation name slips past the GET rule.
import { beforeAll, describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { ACTIVITY_STAMPS, readAllTables } from '../helpers/database-contents';
import { dialects } from '../../tools/databases';
import { signInOverHttp } from '../helpers/http-sign-in';
import { seedUser, trpcQuery, type CookieJar, type SeededUser } from '../../tools/sign-in';

const EMPTY_BATCH_INPUT = encodeURIComponent('{}');

describe.each(dialects)('percent-encoded tRPC batches on %s', (dialect) => {
	const stack = useAppStack(dialect);
	let user: SeededUser;
	/** A verified session, by cookie. */
	let jar: CookieJar;

	beforeAll(async () => {
		user = await seedUser(stack.database.db);
		jar = (await signInOverHttp(stack.server.origin, stack.sink, user, { transport: 'cookie' }))
			.jar;
	});

	const contents = () => readAllTables(stack.database.db, { ignore: ACTIVITY_STAMPS });

	function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
		return fetch(stack.server.origin + path, { headers, redirect: 'manual' });
	}

	/** The body is tRPC's error envelope with this code (one per call for a refused batch). */
	async function expectTrpcError(response: Response, code: string): Promise<void> {
		const body = await response.json();
		for (const answer of Array.isArray(body) ? body : [body]) {
			expect(answer.error.json.data.code).toBe(code);
		}
	}

	it('11 auth.login calls joined by %2C in one POST [400 BAD_REQUEST; no login runs, nothing written]', async () => {
		const before = await contents();
		const logged = stack.server.output().length;
		const calls = 11;
		const wrong = { json: { username: user.username, password: 'not the password' } };
		const response = await fetch(
			`${stack.server.origin}/trpc/${Array(calls).fill('auth.login').join('%2C')}?batch=1`,
			{
				method: 'POST',
				headers: { 'content-type': 'application/json', origin: stack.server.origin },
				body: JSON.stringify(
					Object.fromEntries(Array.from({ length: calls }, (_, i) => [i, wrong]))
				)
			}
		);
		expect(response.status).toBe(400);
		await expectTrpcError(response, 'BAD_REQUEST');
		expect(await contents()).toEqual(before);
		expect(stack.server.output().slice(logged)).toBe('');
	});

	it('1,400 health calls joined by %2C (and %2c) in one GET [400 BAD_REQUEST]', async () => {
		for (const comma of ['%2C', '%2c']) {
			const response = await get(
				`/trpc/${Array(1400).fill('health').join(comma)}?batch=1&input=${EMPTY_BATCH_INPUT}`
			);
			expect(response.status, comma).toBe(400);
			await expectTrpcError(response, 'BAD_REQUEST');
		}
	});

	it('10 health calls joined by %2C [200; ten answers, the cap still allows it]', async () => {
		const response = await get(
			`/trpc/${Array(10).fill('health').join('%2C')}?batch=1&input=${EMPTY_BATCH_INPUT}`
		);
		expect(response.status).toBe(200);
		expect(await response.json()).toHaveLength(10);
	});

	it.each([
		['an encoded comma', 'health%2Cauth.logout?batch=1'],
		['an encoded dot', 'health,auth%2Elogout?batch=1'],
		['encoded letters', 'health,%61uth.%6Cogout?batch=1'],
		['an encoded dot and batch=0', 'auth%2Elogout?batch=0']
	])(
		'auth.logout hidden by %s in a GET batch with the session cookie [405; still signed in]',
		async (_name, call) => {
			const response = await get(`/trpc/${call}&input=${EMPTY_BATCH_INPUT}`, {
				cookie: jar.header()!
			});
			expect(response.status).toBe(405);
			await expectTrpcError(response, 'METHOD_NOT_SUPPORTED');
			const me = await trpcQuery<{ session: { state: string } } | null>(
				stack.server.origin,
				'auth.me',
				{ jar }
			);
			expect(me.data?.session.state).toBe('verified');
		}
	);

	it.each(['health%E0%A4%A', 'health%', 'health%2Chealth%ZZ'])(
		'batch path %s that is not valid percent-encoding [400 BAD_REQUEST in tRPC format; nothing logged]',
		async (paths) => {
			const logged = stack.server.output().length;
			const response = await get(`/trpc/${paths}?batch=1&input=${EMPTY_BATCH_INPUT}`);
			expect(response.status).toBe(400);
			await expectTrpcError(response, 'BAD_REQUEST');
			expect(stack.server.output().slice(logged)).toBe('');
		}
	);
});
