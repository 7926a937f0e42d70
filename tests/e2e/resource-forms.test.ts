// The generic resource forms in Chromium against `node build`, on the example resource (feature
// flags): create with field errors, the reference picker with and without JavaScript, edit, a
// stale edit (the current values beside the kept input), row actions, the history tab, the
// read-only view for a member, and the delete confirm with step-up.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import featureFlags from '$lib/server/resources/feature-flags';
import { resources } from '$lib/server/resources/registry';
import { updateRow } from '$lib/server/resources/write';
import type { Actor } from '$lib/server/services/actor';
import { axeViolations, describeViolations } from '../helpers/axe';
import { useAppStack } from '../helpers/app-stack';
import { createFlag } from '../helpers/feature-flags';
import { hasChromium, launchChromium } from '../helpers/browser';
import {
	BrowserSessions,
	failedLoad,
	pathOf,
	signInThroughPages
} from '../helpers/browser-session';
import { testDeps } from '../../tools/service-deps';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

const MINUTE = 60_000;
const BASE = '/resources/feature-flags';

describe.runIf(hasChromium())('resource forms in Chromium', () => {
	const stack = useAppStack('sqlite');
	let browser: Browser;
	let sessions: BrowserSessions;
	let adminUser: SeededUser;
	let owner: SeededUser;
	/** Someone else, changing flags behind the admin's back (through the service). */
	let other: Actor;

	beforeAll(async () => {
		browser = await launchChromium();
		sessions = new BrowserSessions(browser, stack.server.origin);
		adminUser = await seedUser(stack.database.db, { role: 'admin', username: 'ada-admin' });
		owner = await seedUser(stack.database.db, { username: 'olivia-owner' });
		const otherUser = await seedUser(stack.database.db, { role: 'admin', username: 'grace-other' });
		other = { actorId: otherUser.id, ip: null, userAgent: null };
		// More users than the picker lists at once (20), so finding one needs the search.
		for (let i = 0; i < 22; i++) {
			await seedUser(stack.database.db, { username: `aaa-filler-${String(i).padStart(2, '0')}` });
		}
	});
	afterAll(() => browser?.close());

	async function signedIn(user: SeededUser, javaScriptEnabled = true): Promise<Page> {
		const page = await sessions.open({ javaScriptEnabled });
		await signInThroughPages(page, stack.server.origin, stack.sink, user);
		return page;
	}

	const seedFlag = (key: string) => createFlag(stack.database.db, other, key);

	const stored = (id: string) =>
		// The table is the resource's own, outside the app's Database type.
		stack.database.db
			.selectFrom('feature_flags' as never)
			.select([
				'key',
				'enabled',
				'rollout',
				'environment',
				'owner_id',
				'description',
				'version'
			] as never)
			.where('id' as never, '=', id as never)
			.executeTakeFirst() as Promise<Record<string, unknown> | undefined>;

	const fieldOf = (page: Page, name: string) => page.locator(`[data-field="${name}"]`);
	const rowIdOf = (page: Page) => pathOf(page).split('/')[3]!;
	/** Waits for a row's page (not /new, whose last segment looks like an id too). */
	const onRowPage = (page: Page) =>
		page.waitForURL(
			(url) =>
				/^\/resources\/feature-flags\/[a-z2-7]+$/.test(url.pathname) &&
				!url.pathname.endsWith('/new')
		);

	describe('an admin with JavaScript', () => {
		let admin: Page;
		let flagId: string;

		beforeAll(async () => {
			admin = await signedIn(adminUser);
		});

		it('create: field errors from zod and from the service show under their fields, input kept', async () => {
			await seedFlag('taken-key');
			await admin.goto(`${stack.server.origin}${BASE}/new`);
			await admin.getByLabel('Key').fill('taken-key');
			await admin.getByLabel('Rollout').fill('12.55');
			await admin.getByLabel('Description').fill('kept text');
			await admin.getByRole('button', { name: 'Create feature flag' }).click();

			const rolloutError = fieldOf(admin, 'rollout').locator('#rollout-error');
			await rolloutError.waitFor();
			expect(await rolloutError.textContent()).toBe('A number with at most 1 decimal places');
			expect(await admin.getByLabel('Description').inputValue()).toBe('kept text');

			// zod passes now; the service finds the key taken.
			await admin.getByLabel('Rollout').fill('12.5');
			await admin.getByRole('button', { name: 'Create feature flag' }).click();
			const keyError = fieldOf(admin, 'key').locator('#key-error');
			await keyError.waitFor();
			expect(await keyError.textContent()).toBe('Another feature flag has this key');
			expect(await admin.locator('#rollout-error').count()).toBe(0);
		});

		it('create: the reference combobox finds a user as you type, then the flag is created', async () => {
			const combobox = admin.getByRole('combobox', { name: 'Owner' });
			await combobox.fill('olivia');
			const listbox = admin.getByRole('listbox', { name: 'Owner' });
			const option = listbox.getByRole('option', { name: 'olivia-owner' });
			await option.waitFor();
			await expect.poll(() => listbox.getByRole('option').count()).toBe(1);
			await option.click();
			expect(await combobox.inputValue()).toBe('olivia-owner');

			await admin.getByLabel('Key').fill('js-created');
			await admin.getByLabel('Enabled').check();
			await admin.getByLabel('Environment').selectOption('staging');
			await admin.getByRole('button', { name: 'Create feature flag' }).click();
			await onRowPage(admin);
			flagId = rowIdOf(admin);
			await admin.getByRole('status').filter({ hasText: 'Created' }).waitFor();
			expect(await stored(flagId)).toMatchObject({
				key: 'js-created',
				enabled: 1,
				environment: 'staging',
				owner_id: owner.id,
				description: 'kept text'
			});
		});

		it('the create, edit, history and delete pages pass axe-core', async () => {
			const pages = ['', '/history', '/delete'].map((tail) => `${BASE}/${flagId}${tail}`);
			for (const path of [`${BASE}/new`, ...pages]) {
				await admin.goto(stack.server.origin + path);
				const violations = await axeViolations(admin);
				expect(violations, `${path}\n${describeViolations(violations)}`).toEqual([]);
			}
			await admin.goto(`${stack.server.origin}${BASE}/${flagId}`);
		});

		it('edit: saving changes the row and moves its version on', async () => {
			await admin.getByLabel('Rollout').fill('40.0');
			await admin.getByRole('button', { name: 'Save', exact: true }).click();
			await admin
				.getByRole('status')
				.filter({ hasText: /^Saved$/ })
				.first()
				.waitFor();
			expect(await stored(flagId)).toMatchObject({ rollout: 400, version: 2 });
		});

		it('stale edit: the values saved meanwhile show beside the kept input; saving again wins', async () => {
			await admin.reload();
			// Someone else changes the flag after this page was opened.
			await updateRow(
				testDeps(stack.database.db),
				featureFlags,
				resources,
				other,
				{ id: flagId, version: 2 },
				{ rollout: '5.0', environment: 'production' }
			);
			await admin.getByLabel('Rollout').fill('77.0');
			await admin.getByRole('button', { name: 'Save', exact: true }).click();

			await admin
				.getByRole('alert')
				.filter({ hasText: 'Someone changed this row since you opened it' })
				.waitFor();
			expect(await admin.getByLabel('Rollout').inputValue()).toBe('77.0');
			expect(await fieldOf(admin, 'rollout').locator('[data-current]').textContent()).toContain(
				'5.0'
			);
			expect(await fieldOf(admin, 'environment').locator('[data-current]').textContent()).toContain(
				'production'
			);
			expect(await fieldOf(admin, 'key').locator('[data-current]').count()).toBe(0);
			expect((await stored(flagId))!.rollout).toBe(50);

			await admin.getByRole('button', { name: 'Save my values' }).click();
			await admin
				.getByRole('status')
				.filter({ hasText: /^Saved$/ })
				.first()
				.waitFor();
			expect(await stored(flagId)).toMatchObject({
				rollout: 770,
				environment: 'staging',
				version: 4
			});
		});

		it('a row action with a confirm asks in a dialog, then runs', async () => {
			await admin.getByRole('button', { name: 'Turn off', exact: true }).click();
			const dialog = admin.getByRole('alertdialog');
			await dialog.getByRole('button', { name: 'Turn off', exact: true }).click();
			await dialog.waitFor({ state: 'hidden' });
			await expect.poll(async () => (await stored(flagId))!.enabled).toBe(0);
		});

		it('history: who changed which fields from what to what', async () => {
			await admin.getByRole('link', { name: 'History' }).click();
			await admin.waitForURL((url) => url.pathname === `${BASE}/${flagId}/history`);
			const history = admin.getByTestId('history');
			await history.waitFor();
			const entries = history.locator(':scope > li');
			expect(await entries.count()).toBe(5);
			const byAdmin = entries.filter({ hasText: 'Changed by ada-admin' }).first();
			const rolloutRow = byAdmin.getByRole('row', { name: /Rollout/ });
			expect((await rolloutRow.textContent())!.replace(/\s+/g, ' ')).toContain('5.0 77.0');
			const first = entries.last();
			expect(await first.textContent()).toContain('Created by ada-admin');
			// The owner the row points at is named, not shown as an id.
			const ownerRow = first.getByRole('row', { name: /Owner/ });
			expect((await ownerRow.textContent())!.replace(/\s+/g, ' ')).toContain('— olivia-owner');
			expect(await entries.nth(2).textContent()).toContain('Changed by grace-other');
		});

		it('delete with an old code: step-up first, then the confirm page deletes', async () => {
			await stack.database.db
				.updateTable('sessions')
				.set({ verified_at: Date.now() - 11 * MINUTE })
				.where('user_id', '=', adminUser.id)
				.execute();
			await admin.getByRole('link', { name: 'Delete' }).click();
			await admin.waitForURL((url) => url.pathname === `${BASE}/${flagId}/delete`);
			expect(await admin.getByTestId('references').textContent()).toContain(
				'Nothing else refers to it'
			);
			await admin.getByRole('button', { name: 'Delete js-created' }).click();
			const stepUp = admin.getByTestId('step-up');
			await stepUp.waitFor();
			expect(await stored(flagId)).toBeDefined();

			await stepUp.getByRole('button', { name: 'Email me a code' }).click();
			const { code } = await waitForCode(stack.sink, adminUser.email!);
			await stepUp.getByLabel('Code').fill(code);
			await stepUp.getByRole('button', { name: 'Confirm' }).click();
			await admin.getByText('Confirmed. You can make sensitive changes').waitFor();

			await admin.getByRole('button', { name: 'Delete js-created' }).click();
			await admin.waitForURL((url) => url.pathname === BASE);
			expect(await stored(flagId)).toBeUndefined();
		});
	});

	describe('an admin without JavaScript', () => {
		let admin: Page;

		beforeAll(async () => {
			admin = await signedIn(adminUser, false);
		});

		it('the reference select lists 20 at most; "Find" narrows it and keeps the input', async () => {
			await admin.goto(`${stack.server.origin}${BASE}/new`);
			const select = admin.locator('select[name="owner"]');
			expect(await select.locator('option').count()).toBe(21); // "—" and 20 users
			expect(await select.locator('option', { hasText: 'olivia-owner' }).count()).toBe(0);

			await admin.getByLabel('Key').fill('no-js-created');
			await admin.getByLabel('Search owner').fill('olivia');
			await admin.getByRole('button', { name: 'Find' }).click();
			await admin.waitForLoadState();
			expect(await admin.getByLabel('Key').inputValue()).toBe('no-js-created');
			expect(await select.locator('option').allTextContents()).toEqual(['—', 'olivia-owner']);

			await select.selectOption({ label: 'olivia-owner' });
			await admin.getByRole('button', { name: 'Create feature flag' }).click();
			await onRowPage(admin);
			expect(await stored(rowIdOf(admin))).toMatchObject({
				key: 'no-js-created',
				owner_id: owner.id
			});
		});

		it('stale edit without JavaScript: the same current values and kept input', async () => {
			const id = rowIdOf(admin);
			await updateRow(
				testDeps(stack.database.db),
				featureFlags,
				resources,
				other,
				{ id, version: 1 },
				{ description: 'written meanwhile' }
			);
			await admin.getByLabel('Description').fill('mine');
			await admin.getByRole('button', { name: 'Save', exact: true }).click();
			await admin
				.getByRole('alert')
				.filter({ hasText: 'Someone changed this row since you opened it' })
				.waitFor();
			expect(await admin.getByLabel('Description').inputValue()).toBe('mine');
			expect(await fieldOf(admin, 'description').locator('[data-current]').textContent()).toContain(
				'written meanwhile'
			);
			await admin.getByRole('button', { name: 'Save my values' }).click();
			await admin.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
			expect(await stored(id)).toMatchObject({ description: 'mine', version: 3 });
		});
	});

	describe('a member', () => {
		let member: Page;
		let flagId: string;

		beforeAll(async () => {
			flagId = (await seedFlag('member-view')).id;
			member = await signedIn(await seedUser(stack.database.db, { role: 'member' }));
		});

		it('sees the row read-only: no form, no save, no delete', async () => {
			await member.goto(`${stack.server.origin}${BASE}/${flagId}`);
			const view = member.getByTestId('read-only');
			await view.waitFor();
			expect(await view.textContent()).toContain('member-view');
			expect(await member.locator('form[action="?/update"]').count()).toBe(0);
			expect(await member.getByRole('button', { name: 'Save' }).count()).toBe(0);
			expect(await member.getByRole('link', { name: 'Delete' }).count()).toBe(0);
			expect(await member.getByRole('link', { name: 'History' }).count()).toBe(1);
		});

		it('is refused the create and delete pages', async () => {
			for (const path of [`${BASE}/new`, `${BASE}/${flagId}/delete`]) {
				const response = await member.goto(stack.server.origin + path);
				expect(response?.status(), path).toBe(403);
			}
		});
	});

	it('no unexpected console errors', () => {
		// A member's refused pages are 403s, a conflict a 409 and a field error a 400 (without
		// JavaScript). Deleting lands on the list, which this branch does not have yet.
		expect(
			sessions.unexpectedProblems([
				failedLoad(403),
				failedLoad(404),
				failedLoad(409),
				failedLoad(400),
				/Not found: \/resources\/feature-flags\n/
			])
		).toEqual([]);
	});
});
