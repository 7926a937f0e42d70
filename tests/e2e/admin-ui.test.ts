// The admin pages in Chromium against `node build`, signed in with codes read from a real SMTP
// server: managing a user end to end, ending another browser's session, and what a member may
// not open.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { hasChromium, launchChromium } from '../helpers/browser';
import {
	BrowserSessions,
	failedLoad,
	pathOf,
	signInThroughPages
} from '../helpers/browser-session';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

const MINUTE = 60_000;

// scripts/test.js fails the run under CI when Chromium is missing; locally it warns.
describe.runIf(hasChromium())('the admin pages in Chromium', () => {
	const stack = useAppStack('sqlite');
	let browser: Browser;
	let sessions: BrowserSessions;

	beforeAll(async () => {
		browser = await launchChromium();
		sessions = new BrowserSessions(browser, stack.server.origin);
	});
	afterAll(() => browser?.close());

	/** A new browser context with `user` signed in, on the dashboard. */
	async function signedIn(user: SeededUser): Promise<Page> {
		const page = await sessions.open();
		await signInThroughPages(page, stack.server.origin, stack.sink, user);
		expect(pathOf(page)).toBe('/');
		return page;
	}

	const statusBadges = (page: Page) => page.getByRole('list', { name: 'Status' });

	/** Opens a ConfirmAction's dialog and presses its confirm button. */
	async function confirmInDialog(page: Page, trigger: string, confirm: string): Promise<void> {
		await page.getByRole('button', { name: trigger, exact: true }).click();
		const dialog = page.getByRole('alertdialog');
		await dialog.waitFor();
		await dialog.getByRole('button', { name: confirm, exact: true }).click();
		await dialog.waitFor({ state: 'hidden' });
	}

	describe('an admin creates, edits, deactivates, reactivates and deletes a user', () => {
		let admin: Page;
		let adminUser: SeededUser;
		let userId: string;

		beforeAll(async () => {
			adminUser = await seedUser(stack.database.db, { role: 'admin' });
			admin = await signedIn(adminUser);
		});

		it('creating a user on /users/new lands on their page', async () => {
			await admin.goto(stack.server.origin + '/users');
			await admin.getByRole('link', { name: 'New user' }).click();
			await admin.waitForURL((url) => url.pathname === '/users/new');

			await admin.getByLabel('Username').fill('grace');
			await admin.getByLabel('Email').fill('grace@example.com');
			await admin.getByLabel('Role').selectOption('member');
			// An invitation is what the page offers first; a typed password is the second choice.
			await admin.getByRole('radio', { name: 'Set one here' }).check();
			await admin.getByLabel('Password').fill('a long enough password');
			await admin.getByRole('button', { name: 'Create user' }).click();

			await admin.waitForURL(
				(url) => /^\/users\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith('/new')
			);
			userId = pathOf(admin).split('/')[2]!;
			expect(await admin.getByRole('heading', { level: 1 }).textContent()).toBe('grace');
			await statusBadges(admin).getByText('active', { exact: true }).waitFor();
			const row = await stack.database.db
				.selectFrom('users')
				.select(['username', 'email', 'role'])
				.where('id', '=', userId)
				.executeTakeFirst();
			expect(row).toEqual({ username: 'grace', email: 'grace@example.com', role: 'member' });
		});

		it('saving the profile changes the username at once; the new email waits for its link', async () => {
			await admin.getByLabel('Username').fill('grace-h');
			await admin.getByLabel('Email').fill('grace.h@example.com');
			await admin.getByRole('button', { name: 'Save profile' }).click();

			await admin.getByRole('heading', { level: 1, name: 'grace-h' }).waitFor();
			expect(await admin.getByText('Profile saved', { exact: true }).first().isVisible()).toBe(
				true
			);
			await admin.reload();
			expect(await admin.getByLabel('Email').inputValue()).toBe('grace@example.com');
			expect(await admin.getByTestId('pending-email').textContent()).toContain(
				'grace.h@example.com'
			);
		});

		it('deactivating asks in a dialog first, then shows the deactivated badge', async () => {
			await confirmInDialog(admin, 'Deactivate', 'Deactivate');
			await statusBadges(admin).getByText('deactivated').waitFor();
			const row = await stack.database.db
				.selectFrom('users')
				.select('is_active')
				.where('id', '=', userId)
				.executeTakeFirstOrThrow();
			expect(Number(row.is_active)).toBe(0);
		});

		it('reactivating brings the active badge back', async () => {
			await admin.getByRole('button', { name: 'Reactivate' }).click();
			await statusBadges(admin).getByText('active', { exact: true }).waitFor();
			expect(await statusBadges(admin).textContent()).not.toContain('deactivated');
		});

		it('deleting with a code older than 10 minutes asks for a fresh one, then deletes', async () => {
			await stack.database.db
				.updateTable('sessions')
				.set({ verified_at: Date.now() - 11 * MINUTE })
				.where('user_id', '=', adminUser.id)
				.execute();

			await confirmInDialog(admin, 'Delete user', 'Delete');
			const stepUp = admin.getByTestId('step-up');
			await stepUp.waitFor();
			expect(await stepUp.textContent()).toContain("Confirm it's you");
			expect(pathOf(admin), 'nothing was deleted yet').toBe(`/users/${userId}`);

			await stepUp.getByRole('button', { name: 'Email me a code' }).click();
			const { code } = await waitForCode(stack.sink, adminUser.email!);
			await stepUp.getByLabel('Code').fill(code);
			await stepUp.getByRole('button', { name: 'Confirm' }).click();
			await admin.getByText('Confirmed. You can make sensitive changes').waitFor();

			await confirmInDialog(admin, 'Delete user', 'Delete');
			await admin.waitForURL((url) => url.pathname === '/users');
			expect(await admin.getByRole('link', { name: 'grace-h' }).count()).toBe(0);
			const row = await stack.database.db
				.selectFrom('users')
				.select('id')
				.where('id', '=', userId)
				.executeTakeFirst();
			expect(row).toBeUndefined();
		});
	});

	describe('revoking a session signs that browser out at its next request', () => {
		it('a session ended on /sessions in one context sends the other context to /login', async () => {
			const user = await seedUser(stack.database.db);
			const first = await signedIn(user);
			const second = await signedIn(user);

			await first.goto(stack.server.origin + '/sessions');
			await confirmInDialog(first, 'Revoke', 'End session');
			await first.getByText('Session ended.').waitFor();

			await second.goto(stack.server.origin + '/account');
			expect(pathOf(second)).toBe('/login');
			// The context that revoked it is still signed in.
			await first.goto(stack.server.origin + '/account');
			expect(pathOf(first)).toBe('/account');
		});
	});

	describe('step-up changes on My account work without JavaScript', () => {
		let page: Page;
		let member: SeededUser;

		beforeAll(async () => {
			member = await seedUser(stack.database.db);
			page = await sessions.open({ javaScriptEnabled: false });
			await signInThroughPages(page, stack.server.origin, stack.sink, member);
			// The sign-in's code is older than the step-up window now.
			await stack.database.db
				.updateTable('sessions')
				.set({ verified_at: Date.now() - 11 * MINUTE })
				.where('user_id', '=', member.id)
				.execute();
		});

		it('generating backup tokens asks for a fresh code in the backup tokens card, then mints them', async () => {
			await page.goto(stack.server.origin + '/account');
			await page.getByRole('button', { name: 'Generate tokens' }).click();
			// The prompt shows in the card that asked, and only there.
			const card = page.locator('section').filter({
				has: page.getByRole('heading', { name: 'Backup tokens', exact: true })
			});
			const stepUp = card.getByTestId('step-up');
			await stepUp.waitFor();
			expect(await page.getByTestId('step-up').count()).toBe(1);
			expect(await page.getByTestId('tokens-left').textContent()).toBe('0');

			await stepUp.getByRole('button', { name: 'Email me a code' }).click();
			const { code } = await waitForCode(stack.sink, member.email!);
			await stepUp.getByLabel('Code').fill(code);
			await stepUp.getByRole('button', { name: 'Confirm' }).click();
			await page.getByText('Confirmed. You can make sensitive changes').waitFor();

			await page.getByRole('button', { name: 'Generate tokens' }).click();
			await page.getByRole('list', { name: 'New backup tokens' }).waitFor();
			expect(await page.getByTestId('tokens-left').textContent()).toBe('10');
			await stack.sink.waitForMessage(
				(mail) =>
					mail.subject === 'New backup tokens for Admin' && mail.envelopeTo.includes(member.email!)
			);
		});
	});

	describe('a member cannot reach admin pages or admin procedures', () => {
		let member: Page;
		let memberUser: SeededUser;
		let otherUser: SeededUser;

		beforeAll(async () => {
			memberUser = await seedUser(stack.database.db);
			otherUser = await seedUser(stack.database.db);
			member = await signedIn(memberUser);
		});

		it.each(['/users', '/users/new', '/audit'])('%s answers 403', async (path) => {
			const response = await member.goto(stack.server.origin + path);
			expect(response?.status()).toBe(403);
			expect(await member.getByRole('heading', { level: 1 }).textContent()).toContain(
				'Not allowed'
			);
		});

		it("another user's page answers 403", async () => {
			const response = await member.goto(stack.server.origin + `/users/${otherUser.id}`);
			expect(response?.status()).toBe(403);
		});

		it('their own user page sends them to /account', async () => {
			await member.goto(stack.server.origin + `/users/${memberUser.id}`);
			expect(pathOf(member)).toBe('/account');
		});

		it('users.list called from their page with their cookie is FORBIDDEN', async () => {
			await member.goto(stack.server.origin + '/account');
			const reply = await member.evaluate(async () => {
				const input = encodeURIComponent(JSON.stringify({ json: {} }));
				const response = await fetch(`/trpc/users.list?input=${input}`);
				return { status: response.status, body: await response.text() };
			});
			expect(reply.status).toBe(403);
			expect(reply.body).toContain('FORBIDDEN');
			expect(reply.body).not.toContain(otherUser.username);
		});

		it('users.delete posted from their page with their cookie is FORBIDDEN', async () => {
			const reply = await member.evaluate(async (id) => {
				const response = await fetch('/trpc/users.delete', {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify({ json: { id } })
				});
				return { status: response.status, body: await response.text() };
			}, otherUser.id);
			expect(reply.status).toBe(403);
			expect(reply.body).toContain('FORBIDDEN');
			const row = await stack.database.db
				.selectFrom('users')
				.select('id')
				.where('id', '=', otherUser.id)
				.executeTakeFirst();
			expect(row).toBeDefined();
		});
	});

	describe('the pages run clean in the browser', () => {
		it('without script errors or Content-Security-Policy violations', () => {
			// 403 pages and the forbidden fetches are logged by Chromium as failed loads.
			expect(sessions.unexpectedProblems([failedLoad(403)])).toEqual([]);
		});
	});
});
