// My account's session list, a page at a time, through the production build as a browser without
// JavaScript sees it: page links in the HTML, the page number in the URL, and ending a session on
// page 2 answers with page 2.
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '$lib/server/auth/crypto';
import { newId } from '$lib/server/ids';
import { useAppStack } from '../helpers/app-stack';
import { postForm } from '../helpers/form-post';
import { signInOverHttp } from '../helpers/http-sign-in';
import { seedUser, type CookieJar } from '../../tools/sign-in';

const PLANTED = 30;
/** Planted session i is the i-th newest after the real one; its address names it in the HTML. */
const addressOf = (i: number) => `10.0.1.${100 + i}`;

describe('My account pages through your sessions without JavaScript', () => {
	const stack = useAppStack('sqlite');
	let jar: CookieJar;
	const planted: string[] = [];

	beforeAll(async () => {
		const user = await seedUser(stack.database.db);
		jar = (await signInOverHttp(stack.server.origin, stack.sink, user, { transport: 'cookie' }))
			.jar;
		const now = Date.now();
		for (let i = 0; i < PLANTED; i++) {
			const publicId = newId();
			planted.push(publicId);
			await stack.database.db
				.insertInto('sessions')
				.values({
					id: sha256Hex(`account-page-${i}`),
					public_id: publicId,
					user_id: user.id,
					state: 'verified',
					created_at: now - (i + 1) * 60_000,
					expires_at: now + 60 * 60_000,
					ip: addressOf(i),
					user_agent: null,
					verified_at: now,
					last_seen_at: null,
					promoted_from: null
				})
				.execute();
		}
	});

	const open = async (path: string) => {
		const response = await fetch(stack.server.origin + path, {
			headers: { cookie: jar.header()!, accept: 'text/html' },
			redirect: 'manual'
		});
		expect(response.status).toBe(200);
		return response.text();
	};
	const shown = (html: string) =>
		Array.from({ length: PLANTED }, (_, i) => i).filter((i) => html.includes(addressOf(i)));

	it('the first page holds 25 (this session and the 24 newest others) and links to page 2', async () => {
		const html = await open('/account');
		expect(shown(html)).toEqual(Array.from({ length: 24 }, (_, i) => i));
		expect(html).toContain('Page 1 of 2');
		expect(html).toContain('href="?page=2#sessions"');
		// The confirm dialog counts every other session, not only this page's.
		expect(html).toContain(`${PLANTED} other sessions are signed out`);
	});

	it('?page=2 holds the oldest six', async () => {
		const html = await open('/account?page=2');
		expect(shown(html)).toEqual([24, 25, 26, 27, 28, 29]);
		expect(html).toContain('Page 2 of 2');
	});

	it('ending a session on page 2 answers with page 2, without it', async () => {
		const response = await postForm(
			stack.server.origin,
			'/account?/revokeSession&page=2&pageSize=25',
			{ publicId: planted[29]! },
			{ jar }
		);
		expect(response.status).toBe(200);
		const html = await response.text();
		expect(shown(html)).toEqual([24, 25, 26, 27, 28]);
		expect(html).toContain('Page 2 of 2');
	});

	it('a page the list refuses is a 400, not a server error', async () => {
		const response = await fetch(stack.server.origin + '/account?pageSize=1000', {
			headers: { cookie: jar.header()!, accept: 'text/html' }
		});
		expect(response.status).toBe(400);
	});
});
