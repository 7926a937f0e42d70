// The app shell in Chromium: the dashboard asks for sign-in, then shows the database status
// that the browser itself fetched through the typed tRPC client.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { hasChromium, launchChromium } from '../helpers/browser';
import { seedUser, waitForCode } from '../../tools/sign-in';

// scripts/test.js fails the run under CI when Chromium is missing; locally it warns.
describe.runIf(hasChromium())('the app shell in Chromium', () => {
	const stack = useAppStack('sqlite');
	let browser: Browser;
	let page: Page;
	const problems: string[] = [];

	beforeAll(async () => {
		browser = await launchChromium();
		page = await browser.newPage();
		page.setDefaultTimeout(8000);
		// CSP violations and script errors both surface here.
		page.on('console', (message) => {
			if (message.type() === 'error') problems.push(message.text());
		});
		page.on('pageerror', (error) => problems.push(error.message));
	});

	afterAll(() => browser?.close());

	it('sends a visitor to the login page first', async () => {
		await page.goto(stack.server.origin + '/');
		expect(new URL(page.url()).pathname).toBe('/login');
		expect(await page.title()).toContain('Sign in');
	});

	it('shows the dashboard after sign-in, with the database status fetched by the browser', async () => {
		const user = await seedUser(stack.database.db, { role: 'admin' });
		await page.getByLabel('Username or email').fill(user.username);
		await page.getByLabel('Password').fill(user.password);
		await page.getByRole('button', { name: 'Continue' }).click();
		await page.waitForURL((url) => url.pathname === '/login/verify');
		const { code } = await waitForCode(stack.sink, user.email!);
		await page.getByLabel('Code or backup token').fill(code);
		await page.getByRole('button', { name: 'Verify' }).click();
		await page.waitForURL((url) => url.pathname === '/');

		expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Dashboard');
		const health = page.getByTestId('health');
		await expect.poll(() => health.getAttribute('data-state')).toBe('ok');
		expect(await health.textContent()).toContain('sqlite');
	});

	it('shows the mail queue on the dashboard: waiting, failed, and why the newest failure failed', async () => {
		const now = Date.now();
		const row = {
			text_body: '',
			html_body: '',
			created_at: now - 25 * 60 * 60 * 1000,
			claimed_by: null,
			claim_until: null
		};
		await stack.database.db
			.insertInto('mail_queue')
			.values([
				// Waiting for a try an hour from now, so the server's sender leaves it alone.
				{
					...row,
					id: 'home-waiting',
					recipient: 'later@example.com',
					subject: 'Waiting',
					status: 'pending',
					attempts: 3,
					next_attempt_at: now + 60 * 60 * 1000
				},
				{
					...row,
					id: 'home-failed',
					recipient: 'gone@example.com',
					subject: 'Never arrived',
					status: 'failed',
					attempts: 31,
					next_attempt_at: now,
					last_error: '550 mailbox unavailable',
					failed_at: now
				}
			])
			.execute();
		await page.reload();
		expect(await page.getByTestId('mail-waiting').textContent()).toContain('1');
		expect(await page.getByTestId('mail-failed').textContent()).toContain('1');
		const failure = page.getByRole('row', { name: /gone@example\.com/ });
		expect(await failure.textContent()).toContain('Never arrived');
		expect(await failure.textContent()).toContain('550 mailbox unavailable (31 tries)');
	});

	it('runs without script errors or Content-Security-Policy violations', () => {
		expect(problems).toEqual([]);
	});

	it('shows the not-found page for unknown addresses', async () => {
		const response = await page.goto(stack.server.origin + '/no-such-page');
		expect(response?.status()).toBe(404);
		expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('Page not found');
	});
});
