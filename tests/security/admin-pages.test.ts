// A signed-in member against the admin pages of the production build. Their loads and every form
// action run the admin guard before anything else: the procedures refuse a member too, but an
// action that only relies on them (the step-up actions, say) would still run for one.
import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { ACTIVITY_STAMPS, readAllTables } from '../helpers/database-contents';
import { dialects } from '../../tools/databases';
import { postForm } from '../helpers/form-post';
import { signInOverHttp } from '../helpers/http-sign-in';
import { seedUser, type CookieJar, type SeededUser } from '../../tools/sign-in';

/** The (app) pages only admins may open; every other (app) page is listed as open to members. */
const ADMIN_PAGES = ['/audit', '/users', '/users/[id]', '/users/new'];
// `/account/security` holds a session that must set up a factor its role requires (FACTOR_POLICY).
const MEMBER_PAGES = ['/', '/account', '/account/security', '/sessions'];
// Resource pages answer by the role's permission on the resource, not by the admin role:
// tests/security/resource-pages-http.test.ts posts every one of their actions for each resource.
const RESOURCE_PAGES = [
	'/resources/[resource]',
	'/resources/[resource]/[id]',
	'/resources/[resource]/[id]/delete',
	'/resources/[resource]/[id]/history',
	'/resources/[resource]/new'
];

const APP_DIR = 'src/routes/(app)';
const appPages = (readdirSync(APP_DIR, { recursive: true }) as string[])
	.filter((file) => file === '+page.svelte' || file.endsWith('/+page.svelte'))
	.map((file) => '/' + file.slice(0, -'+page.svelte'.length).replace(/\/$/, ''))
	.sort();

// Not `(app)` in the pattern: parentheses are glob syntax.
const modules = import.meta.glob<{ actions?: Record<string, unknown> }>(
	'/src/routes/**/+page.server.ts',
	{ eager: true }
);
const adminActions = Object.entries(modules).flatMap(([file, module]) => {
	if (!file.startsWith('/src/routes/(app)/')) return [];
	const page = '/' + file.split('/').slice(4, -1).join('/');
	if (!ADMIN_PAGES.includes(page)) return [];
	return Object.keys(module.actions ?? {}).map((action) => ({ page, action }));
});

describe.each(dialects)('a member on the admin pages on %s', (dialect) => {
	const stack = useAppStack(dialect);
	let member: SeededUser;
	let other: SeededUser;
	let jar: CookieJar;

	beforeAll(async () => {
		member = await seedUser(stack.database.db);
		other = await seedUser(stack.database.db);
		jar = (await signInOverHttp(stack.server.origin, stack.sink, member, { transport: 'cookie' }))
			.jar;
	});

	const contents = () => readAllTables(stack.database.db, { ignore: ACTIVITY_STAMPS });
	const addressOf = (page: string) => page.replace('[id]', other.id);

	it('every (app) page is known as an admin page or a member page [so each new one is classified]', () => {
		expect(appPages).toEqual([...ADMIN_PAGES, ...MEMBER_PAGES, ...RESOURCE_PAGES].sort());
	});

	it('the admin pages have form actions [each is posted below]', () => {
		expect(adminActions.length).toBeGreaterThan(10);
	});

	it.each(ADMIN_PAGES)('member opens %s [403]', async (page) => {
		const response = await fetch(stack.server.origin + addressOf(page), {
			headers: { cookie: jar.header()! },
			redirect: 'manual'
		});
		expect(response.status).toBe(403);
		expect(await response.text()).not.toContain(other.username);
	});

	it.each(adminActions.map(({ page, action }) => [`${page}?/${action}`, page, action]))(
		'member posts the form %s as use:enhance does [403 error before the action runs; nothing changes, no mail]',
		async (_title, page, action) => {
			const before = await contents();
			const mails = stack.sink.messages.length;
			const query = action === 'default' ? '' : `?/${action}`;
			const fields = { id: other.id, ids: other.id, role: 'admin', email: 'x@example.com' };
			const response = await postForm(stack.server.origin, addressOf(page) + query, fields, {
				jar,
				headers: { accept: 'application/json' }
			});
			// An action that ran would answer `failure` (the procedure's FORBIDDEN) or `success`.
			expect(response.status).toBe(403);
			expect(await response.json()).toEqual({
				type: 'error',
				error: { message: 'Administrators only' }
			});
			expect(await contents()).toEqual(before);
			expect(stack.sink.messages.length).toBe(mails);
		}
	);
});
