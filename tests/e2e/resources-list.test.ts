// The generic resource list in Chromium, on the example resource (feature flags) against
// `node build`: search, filters, sort and paging in the URL, bulk actions behind their confirm
// step (a bulk delete behind step-up too), the CSV download, and what a member does not get.
import { readFile } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '$lib/server/db/schema';
import { flagKey, seedFeatureFlags } from '../../tools/feature-flags';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';
import { useAppStack } from '../helpers/app-stack';
import { hasChromium, launchChromium } from '../helpers/browser';
import {
	BrowserSessions,
	failedLoad,
	pathOf,
	signInThroughPages
} from '../helpers/browser-session';

const MINUTE = 60_000;
const LIST = '/resources/feature-flags';

describe.runIf(hasChromium())('the feature flags list in Chromium', () => {
	const stack = useAppStack('sqlite');
	let browser: Browser;
	let sessions: BrowserSessions;
	let adminUser: SeededUser;
	let admin: Page;

	beforeAll(async () => {
		browser = await launchChromium();
		sessions = new BrowserSessions(browser, stack.server.origin);
		adminUser = await seedUser(stack.database.db, { role: 'admin', username: 'ada' });
		await seedFeatureFlags(stack.database.db as Kysely<Database>, {
			count: 60,
			prefix: 'e2e',
			owners: [adminUser.id]
		});
		admin = await signedIn(adminUser);
	});
	afterAll(() => browser?.close());

	async function signedIn(user: SeededUser): Promise<Page> {
		const page = await sessions.open();
		await signInThroughPages(page, stack.server.origin, stack.sink, user);
		return page;
	}

	const params = (page: Page) => Object.fromEntries(new URL(page.url()).searchParams);
	const keysShown = async (page: Page) =>
		(
			await page
				.locator('tbody tr td:first-of-type a, tbody tr td:nth-of-type(2) a')
				.allTextContents()
		)
			.map((text) => text.trim())
			.filter((text) => text.startsWith('e2e-'));
	const flag = async (key: string) =>
		(stack.database.db as unknown as Kysely<Record<string, Record<string, unknown>>>)
			.selectFrom('feature_flags')
			.select(['enabled', 'version'])
			.where('key', '=', key)
			.executeTakeFirst();

	it('the nav leads to the list; search and a filter land in the URL', async () => {
		// From the dashboard (hydrated) the link is a client-side navigation: the rows come from the
		// page's __data.json (serverRendered data, sent whole on a data request) and are drawn in
		// the browser.
		const dataRequests: string[] = [];
		const onRequest = (request: Request) => {
			const { pathname } = new URL(request.url());
			if (pathname.endsWith('/__data.json')) dataRequests.push(pathname);
		};
		admin.on('request', onRequest);
		await admin
			.getByRole('navigation', { name: 'Main' })
			.getByRole('link', { name: 'Feature flags' })
			.click();
		await admin.waitForURL((url) => url.pathname === LIST);
		admin.off('request', onRequest);
		expect(dataRequests).toContain(`${LIST}/__data.json`);
		// Newest first (n = 0 was created last).
		expect((await keysShown(admin))[0]).toBe('e2e-00000');
		await admin.getByLabel('Search').fill('e2e-0001');
		await admin.getByLabel('Environment').selectOption('staging');
		await admin.getByRole('button', { name: 'Apply' }).click();
		await admin.waitForURL((url) => url.searchParams.get('environment') === 'staging');
		expect(params(admin)).toMatchObject({ q: 'e2e-0001', environment: 'staging' });
		// n % 3 === 1 is staging: 10, 13, 16, 19; newest first (the default sort).
		expect(await keysShown(admin)).toEqual(['e2e-00010', 'e2e-00013', 'e2e-00016', 'e2e-00019']);
	});

	it('a sortable header sorts by its column and back, keeping search and filters', async () => {
		await admin.getByRole('link', { name: 'Key', exact: true }).click();
		await admin.waitForURL((url) => url.searchParams.get('sort') === 'key');
		expect(params(admin)).toMatchObject({ q: 'e2e-0001', environment: 'staging', sort: 'key' });
		expect(await keysShown(admin)).toEqual(['e2e-00010', 'e2e-00013', 'e2e-00016', 'e2e-00019']);
		await admin.getByRole('link', { name: 'Key', exact: true }).click();
		await admin.waitForURL((url) => url.searchParams.get('sort') === '-key');
		expect(await keysShown(admin)).toEqual(['e2e-00019', 'e2e-00016', 'e2e-00013', 'e2e-00010']);
	});

	it('pages through with the page size from the URL', async () => {
		await admin.goto(`${stack.server.origin}${LIST}?q=e2e-&sort=key&pageSize=10`);
		await admin.getByRole('link', { name: 'Next' }).click();
		await admin.waitForURL((url) => url.searchParams.get('page') === '2');
		expect(params(admin)).toMatchObject({ q: 'e2e-', sort: 'key', pageSize: '10', page: '2' });
		expect(await keysShown(admin)).toEqual(
			Array.from({ length: 10 }, (_, i) => flagKey('e2e', 10 + i))
		);
		await admin.getByText('11–20 of 60').waitFor();
	});

	it('sends the rows once: no hydration data, only the selection script', async () => {
		const response = await admin.goto(`${stack.server.origin}${LIST}?q=e2e-0001&sort=key`);
		const html = (await response?.text()) ?? '';
		expect(html).toContain('e2e-00010');
		expect(html).not.toContain('__sveltekit');
		const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map(([tag]) => tag);
		expect(scripts).toHaveLength(1);
		expect(scripts[0]).toMatch(/src="\/_app\/immutable\/assets\/selection\.[\w-]+\.js"/);
	});

	it('the header checkbox ticks the page, and the bulk buttons wait for a selection', async () => {
		await admin.goto(`${stack.server.origin}${LIST}?q=e2e-0001&sort=key`);
		const turnOff = admin.getByRole('button', { name: 'Turn off' });
		const all = admin.getByLabel('Select all on this page');
		expect(await turnOff.isDisabled(), 'nothing ticked yet').toBe(true);
		await all.check();
		await admin.getByText('10 selected').waitFor();
		expect(await turnOff.isDisabled()).toBe(false);
		await admin.getByLabel('Select e2e-00013').uncheck();
		await admin.getByText('9 selected').waitFor();
		expect(await all.isChecked(), 'a page partly ticked').toBe(false);
		// A partly ticked header ticks the whole page again, then a second click clears it.
		await all.check();
		await admin.getByText('10 selected').waitFor();
		await all.uncheck();
		await admin.getByText('Select feature flags to act on several at once').waitFor();
		expect(await turnOff.isDisabled()).toBe(true);
	});

	it('turning flags off asks first, then changes only the ticked rows', async () => {
		await admin.goto(`${stack.server.origin}${LIST}?q=e2e-0001&sort=key`);
		await admin.getByLabel('Select e2e-00010').check();
		await admin.getByLabel('Select e2e-00012').check();
		await admin.getByText('2 selected').waitFor();
		await admin.getByRole('button', { name: 'Turn off' }).click();
		const confirm = admin.getByTestId('bulk-confirm');
		await confirm.getByText('Turn these flags off everywhere they are read?').waitFor();
		expect((await flag('e2e-00010'))?.enabled, 'nothing changed before the confirm').toBe(1);

		await confirm.getByRole('button', { name: 'Yes, turn off' }).click();
		await admin.getByText('Turn off: 2 feature flags').first().waitFor();
		expect(await flag('e2e-00010')).toEqual({ enabled: 0, version: 2 });
		expect(await flag('e2e-00012')).toEqual({ enabled: 0, version: 2 });
		expect((await flag('e2e-00014'))?.enabled).toBe(1);
		await admin.getByText('Select feature flags to act on several at once').waitFor();
	});

	it('a bulk delete with a code older than the step-up window asks for a fresh one', async () => {
		await stack.database.db
			.updateTable('sessions')
			.set({ verified_at: Date.now() - 11 * MINUTE })
			.where('user_id', '=', adminUser.id)
			.execute();
		const deleteTicked = async () => {
			await admin.getByLabel('Select e2e-00011').check();
			await admin.getByRole('button', { name: 'Delete', exact: true }).click();
			await admin.getByTestId('bulk-confirm').getByRole('button', { name: 'Yes, delete' }).click();
		};
		await deleteTicked();
		const stepUp = admin.getByTestId('step-up');
		await stepUp.getByRole('button', { name: 'Email me a code' }).click();
		const { code } = await waitForCode(stack.sink, adminUser.email!);
		await stepUp.getByLabel('Code').fill(code);
		await stepUp.getByRole('button', { name: 'Confirm' }).click();
		await admin.getByText('Confirmed. You can make sensitive changes').waitFor();
		expect(await flag('e2e-00011'), 'not deleted before the fresh code').toBeDefined();

		await deleteTicked();
		await admin.getByText('Delete: 1 feature flag').first().waitFor();
		expect(await flag('e2e-00011')).toBeUndefined();
		expect(await admin.getByLabel('Select e2e-00011').count()).toBe(0);
	});

	it('Export CSV downloads the filtered rows with the column labels', async () => {
		await admin.goto(`${stack.server.origin}${LIST}?q=e2e-0002&sort=key&environment=dev`);
		const [download] = await Promise.all([
			admin.waitForEvent('download'),
			admin.getByRole('link', { name: 'Export CSV' }).click()
		]);
		expect(download.suggestedFilename()).toMatch(/^feature-flags-\d{4}-\d{2}-\d{2}\.csv$/);
		const lines = (await readFile((await download.path())!, 'utf8')).trimEnd().split('\r\n');
		expect(lines[0]).toBe('Key,Status,Environment,Rollout,Owner,Updated (UTC)');
		// n % 3 === 0 is dev: 21, 24, 27.
		expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual([
			'e2e-00021',
			'e2e-00024',
			'e2e-00027'
		]);
		expect(lines[1]).toContain(',ada,');
	});

	it('a member sees the rows but no checkboxes, bulk buttons or New', async () => {
		const member = await signedIn(await seedUser(stack.database.db, { role: 'member' }));
		await member.goto(`${stack.server.origin}${LIST}?q=e2e-0001`);
		expect(pathOf(member)).toBe(LIST);
		await member.getByRole('link', { name: 'e2e-00013' }).waitFor();
		expect(await member.getByRole('checkbox').count()).toBe(0);
		expect(await member.getByRole('button', { name: 'Turn off' }).count()).toBe(0);
		expect(await member.getByRole('button', { name: 'Delete' }).count()).toBe(0);
		expect(await member.getByRole('link', { name: /New feature flag/ }).count()).toBe(0);
		expect(await member.getByRole('link', { name: 'Export CSV' }).count()).toBe(1);
		// The owner is a user: a member may not open users' pages, so it is not a link.
		expect(await member.getByRole('link', { name: 'ada' }).count()).toBe(0);
	});

	it('nothing went wrong in the browsers’ consoles', () => {
		// The list is server-rendered only, so its forms post as documents: the step-up answer
		// (403, the fresh-code form) is a document the browser logs, as without JavaScript.
		expect(sessions.unexpectedProblems([failedLoad(403)])).toEqual([]);
	});
});
