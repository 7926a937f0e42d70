// My account's API token form through the production build as a browser without JavaScript uses
// it, on both dialects: the scopes are checkboxes generated from the permissions the person's role
// holds (and the `read` / `write` shorthands), a token made from ticked boxes carries exactly
// those, the list shows each token's scopes, and a refused form comes back with the boxes as they
// were and nothing written.
import { beforeAll, describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { postForm } from '../helpers/form-post';
import { signInOverHttp } from '../helpers/http-sign-in';
import { dialects } from '../../tools/databases';
import { seedUser, type CookieJar, type SeededUser } from '../../tools/sign-in';

/** The `value`s of the scope checkboxes in a page, and which of them are ticked. */
function scopeBoxes(html: string): { offered: string[]; ticked: string[] } {
	const inputs = [...html.matchAll(/<input[^>]*name="scopes"[^>]*>/g)].map((m) => m[0]);
	const valueOf = (input: string) => /value="([^"]*)"/.exec(input)?.[1] ?? '';
	return {
		offered: inputs.map(valueOf),
		ticked: inputs.filter((input) => /\schecked(\s|=|>|\/)/.test(input)).map(valueOf)
	};
}

describe.each(dialects)('the API token form without JavaScript on %s', (dialect) => {
	const stack = useAppStack(dialect);
	const people: Record<'admin' | 'member', { user: SeededUser; jar: CookieJar }> = {} as never;

	beforeAll(async () => {
		for (const role of ['admin', 'member'] as const) {
			const user = await seedUser(stack.database.db, { role });
			const { jar } = await signInOverHttp(stack.server.origin, stack.sink, user, {
				transport: 'cookie'
			});
			people[role] = { user, jar };
		}
	});

	const open = async (role: 'admin' | 'member') => {
		const response = await fetch(`${stack.server.origin}/account`, {
			headers: { cookie: people[role].jar.header()!, accept: 'text/html' },
			redirect: 'manual'
		});
		expect(response.status).toBe(200);
		return response.text();
	};
	const create = (role: 'admin' | 'member', name: string, scopes: string[]) =>
		postForm(
			stack.server.origin,
			'/account?/createApiToken',
			[
				['name', name],
				['expiresInDays', '30'],
				...scopes.map((s): [string, string] => ['scopes', s])
			],
			{ jar: people[role].jar }
		);
	const stored = (userId: string) =>
		stack.database.db
			.selectFrom('api_tokens')
			.select(['name', 'scopes'])
			.where('user_id', '=', userId)
			.orderBy('created_at')
			.execute();

	it('offers the shorthands and the permissions the role holds, none ticked', async () => {
		const admin = scopeBoxes(await open('admin'));
		expect(admin.offered).toEqual(
			expect.arrayContaining([
				'read',
				'write',
				'users.read',
				'users.create',
				'sessions.delete',
				'audit.read',
				'featureFlags.update',
				'featureFlags.action.enable'
			])
		);
		expect(admin.ticked).toEqual([]);
		const member = scopeBoxes(await open('member'));
		expect(member.offered).toEqual([
			'read',
			'write',
			'account.read',
			'account.update',
			'featureFlags.read'
		]);
	});

	it('a token made from ticked boxes carries exactly those; the list shows them', async () => {
		const { user } = people.admin;
		const response = await create('admin', 'flag toggler', [
			'featureFlags.read',
			'featureFlags.update'
		]);
		expect(response.status).toBe(200);
		const html = await response.text();
		expect(html).toMatch(/data-testid="api-token"[^>]*>\s*[a-z2-7]{8}_[a-z2-7]{32}\s*</);
		expect(await stored(user.id)).toEqual([
			{ name: 'flag toggler', scopes: 'featureFlags.read,featureFlags.update' }
		]);

		const page = await open('admin');
		const row = page.slice(page.indexOf('flag toggler'));
		expect(row.slice(0, row.indexOf('</tr>'))).toMatch(
			/featureFlags\.read[\s\S]*featureFlags\.update/
		);
	});

	it('the shorthands work as boxes too', async () => {
		const { user } = people.member;
		expect((await create('member', 'reporting', ['read'])).status).toBe(200);
		expect((await create('member', 'everything', ['write'])).status).toBe(200);
		expect(await stored(user.id)).toEqual([
			{ name: 'reporting', scopes: 'read' },
			{ name: 'everything', scopes: 'read,write' }
		]);
	});

	it('a permission the role lacks, or none at all, comes back with the boxes as sent and nothing written', async () => {
		const { user } = people.member;
		const before = await stored(user.id);

		const beyond = await create('member', 'too much', ['featureFlags.read', 'users.read']);
		expect(beyond.status).toBe(400);
		const html = await beyond.text();
		expect(html).toContain('Your role does not have the permission users.read');
		expect(scopeBoxes(html).ticked).toEqual(['featureFlags.read']);
		expect(html).toMatch(/name="name"[^>]*value="too much"|value="too much"[^>]*name="name"/);

		const none = await create('member', 'nothing', []);
		expect(none.status).toBe(400);
		expect(await none.text()).toContain('Choose at least one permission');

		expect(await stored(user.id)).toEqual(before);
	});
});
