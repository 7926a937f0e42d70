// The generic resource list against the production build over plain HTTP, as a browser without
// JavaScript uses it: the list's URL (and a 400 for a bad parameter), the bulk form's confirm
// step and its post, step-up for a bulk delete, what a member may not do, and the CSV export.
import type { Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '$lib/server/db/schema';
import { flagKey, seedFeatureFlags } from '../../tools/feature-flags';
import { dialects } from '../../tools/databases';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';
import { useAppStack } from '../helpers/app-stack';
import { postForm } from '../helpers/form-post';
import { signInOverHttp, type VerifiedOverHttp } from '../helpers/http-sign-in';

const LIST = '/resources/feature-flags';
const MINUTE = 60_000;

type Flags = Kysely<Record<string, { id: string; key: string; version: number; enabled: number }>>;

describe.each(dialects)('the feature flags list over HTTP on %s', (dialect) => {
	const stack = useAppStack(dialect);
	let admin: SeededUser;
	let adminSession: VerifiedOverHttp;
	let memberSession: VerifiedOverHttp;
	const flags = () => stack.database.db as unknown as Flags;

	beforeAll(async () => {
		admin = await seedUser(stack.database.db, { role: 'admin' });
		const member = await seedUser(stack.database.db, { role: 'member' });
		adminSession = await signInOverHttp(stack.server.origin, stack.sink, admin, {
			transport: 'cookie'
		});
		memberSession = await signInOverHttp(stack.server.origin, stack.sink, member, {
			transport: 'cookie'
		});
		await seedFeatureFlags(stack.database.db as Kysely<Database>, {
			count: 30,
			prefix: 'web',
			owners: [admin.id]
		});
	});

	const get = (path: string, session = adminSession) =>
		fetch(stack.server.origin + path, {
			redirect: 'manual',
			headers: { accept: 'text/html', cookie: session.jar.header()! }
		});
	const rowsOf = async (keys: string[]) =>
		flags()
			.selectFrom('feature_flags')
			.select(['id', 'key', 'version', 'enabled'])
			.where('key', 'in', keys)
			.orderBy('key')
			.execute();
	const rowFields = (rows: Array<{ id: string; version: number }>): Array<[string, string]> =>
		rows.map((row) => ['row', `${row.id}:${row.version}`]);

	it('shows the page the URL asks for: search, sort, page size, the total and the owner', async () => {
		const response = await get(`${LIST}?q=web-&sort=-key&pageSize=10&page=2`);
		expect(response.status).toBe(200);
		const html = await response.text();
		const keys = [...html.matchAll(/>(web-\d{5})</g)].map((match) => match[1]);
		expect(keys).toEqual(Array.from({ length: 10 }, (_, i) => flagKey('web', 19 - i)));
		expect(html).toContain('11–20 of 30');
		expect(html).toContain(`href="/users/${admin.id}"`);
	});

	it('offers the owners of the page in its owner filter, at most 20 of them', async () => {
		const owners = [];
		for (let n = 0; n < 25; n++) owners.push((await seedUser(stack.database.db)).id);
		await seedFeatureFlags(stack.database.db as Kysely<Database>, {
			count: 25,
			prefix: 'own',
			owners
		});
		const html = await (await get(`${LIST}?q=own-&sort=key&pageSize=50`)).text();
		expect([...html.matchAll(/>(own-\d{5})</g)]).toHaveLength(25);
		const select = /<select[^>]*name="owner"[^>]*>(.*?)<\/select>/s.exec(html)?.[1] ?? '';
		const offered = [...select.matchAll(/<option value="([^"]*)"/g)].map((match) => match[1]);
		// "Any", then the owners of the first rows in the page's order (own-00000 is owners[0]).
		expect(offered).toEqual(['', ...owners.slice(0, 20)]);
	});

	it('answers a parameter it cannot take with a 400 naming it, never a 500', async () => {
		const cases: Array<[string, RegExp]> = [
			['sort=owner', /sort: One of/],
			['colour=red', /colour: this list has no such parameter/],
			['environment=moon', /environment: One of: dev, staging, production/],
			['pageSize=7', /pageSize: 10, 25, 50 or 100/],
			['page=x', /page: a whole number from 1/],
			['q=web-&page=99', /page: There are 1 pages/]
		];
		for (const [query, message] of cases) {
			const response = await get(`${LIST}?${query}`);
			expect(response.status, query).toBe(400);
			expect(await response.text(), query).toMatch(message);
		}
	});

	it('asks before a bulk action, changes nothing until confirmed, then runs it', async () => {
		const rows = await rowsOf([flagKey('web', 0), flagKey('web', 2)]);
		expect(rows.map((row) => row.enabled)).toEqual([1, 1]);
		const ask = await postForm(
			stack.server.origin,
			`${LIST}?q=web-&/bulk`,
			[['action', 'disable'], ...rowFields(rows)],
			{ jar: adminSession.jar }
		);
		expect(ask.status).toBe(200);
		const html = await ask.text();
		expect(html).toContain('Turn these flags off everywhere they are read?');
		expect(html).toContain('name="confirm" value="yes"');
		expect((await rowsOf([flagKey('web', 0)]))[0]!.enabled, 'not yet').toBe(1);

		const done = await postForm(
			stack.server.origin,
			`${LIST}?q=web-&/bulk`,
			[['action', 'disable'], ['confirm', 'yes'], ...rowFields(rows)],
			{ jar: adminSession.jar }
		);
		expect(done.status).toBe(200);
		expect(await done.text()).toContain('Turn off: 2 feature flags');
		const after = await rowsOf([flagKey('web', 0), flagKey('web', 2)]);
		expect(after.map((row) => [row.enabled, row.version])).toEqual([
			[0, 2],
			[0, 2]
		]);
	});

	it('a bulk delete with a stale code asks for a fresh one, then deletes', async () => {
		const rows = await rowsOf([flagKey('web', 29)]);
		await stack.database.db
			.updateTable('sessions')
			.set({ verified_at: Date.now() - 11 * MINUTE })
			.where('user_id', '=', admin.id)
			.execute();
		const fields: Array<[string, string]> = [
			['action', 'delete'],
			['confirm', 'yes'],
			...rowFields(rows)
		];
		const refused = await postForm(stack.server.origin, `${LIST}?/bulk`, fields, {
			jar: adminSession.jar
		});
		expect(refused.status).toBe(403);
		expect(await refused.text()).toContain('Email me a code');
		expect(await rowsOf([flagKey('web', 29)])).toHaveLength(1);

		await postForm(stack.server.origin, `${LIST}?/stepUpRequest`, {}, { jar: adminSession.jar });
		const { code } = await waitForCode(stack.sink, admin.email!);
		const verified = await postForm(
			stack.server.origin,
			`${LIST}?/stepUpVerify`,
			{ code },
			{ jar: adminSession.jar }
		);
		expect(await verified.text()).toContain('Confirmed.');
		const deleted = await postForm(stack.server.origin, `${LIST}?/bulk`, fields, {
			jar: adminSession.jar
		});
		expect(deleted.status).toBe(200);
		expect(await deleted.text()).toContain('Delete: 1 feature flag');
		expect(await rowsOf([flagKey('web', 29)])).toHaveLength(0);
	});

	it('a member sees no checkboxes, bulk buttons or New, and a direct bulk post is refused', async () => {
		const html = await (await get(`${LIST}?q=web-`, memberSession)).text();
		expect(html).toContain(flagKey('web', 1));
		expect(html).not.toContain('type="checkbox"');
		expect(html).not.toContain('name="action"');
		expect(html).not.toContain('New feature flag');
		expect(html).toContain('Export CSV');

		const rows = await rowsOf([flagKey('web', 4)]);
		const refused = await postForm(
			stack.server.origin,
			`${LIST}?/bulk`,
			[['action', 'disable'], ...rowFields(rows)],
			{ jar: memberSession.jar }
		);
		expect(refused.status).toBe(403);
		expect(await refused.text()).toContain('featureFlags.action.disable');
		expect(await rowsOf([flagKey('web', 4)])).toEqual(rows);
	});

	it('exports every matching row as CSV across export pages, with labels and formulas defused', async () => {
		await seedFeatureFlags(stack.database.db as Kysely<Database>, { count: 1205, prefix: 'csv' });
		await seedFeatureFlags(stack.database.db as Kysely<Database>, {
			count: 1,
			prefix: '=HYPERLINK("http://evil")'
		});
		const response = await get(`/resources/feature-flags/export.csv?q=csv-&sort=key`);
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
		expect(response.headers.get('content-disposition')).toMatch(
			/^attachment; filename="feature-flags-\d{4}-\d{2}-\d{2}\.csv"$/
		);
		const lines = (await response.text()).split('\r\n');
		expect(lines[0]).toBe('Key,Status,Environment,Rollout,Owner,Updated (UTC)');
		expect(lines.at(-1)).toBe('');
		expect(lines).toHaveLength(1 + 1205 + 1);
		expect(lines[1]).toMatch(/^csv-00000,on,dev,0\.0,,\d{4}-\d{2}-\d{2}T/);
		expect(lines[1205]).toMatch(/^csv-01204,/);

		const evil = await get(`/resources/feature-flags/export.csv?q=hyperlink`, memberSession);
		const evilLines = (await evil.text()).split('\r\n');
		expect(evilLines[1]).toMatch(/^"'=HYPERLINK\(""http:\/\/evil""\)-00000",/);
	});

	it('refuses a bad export parameter with a 400, and anyone signed out', async () => {
		expect((await get('/resources/feature-flags/export.csv?sort=nope')).status).toBe(400);
		const anonymous = await fetch(stack.server.origin + '/resources/feature-flags/export.csv', {
			redirect: 'manual'
		});
		expect(anonymous.status).toBeGreaterThanOrEqual(300);
		expect(anonymous.status).toBeLessThan(400);
		expect(anonymous.headers.get('location')).toMatch(/^\/login/);
	});
});
