// The app shell in Chromium: the dashboard asks for sign-in, then shows the database status
// that the browser itself fetched through the typed tRPC client.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type AppServer } from '../helpers/app-server';
import { hasChromium, launchChromium } from '../helpers/browser';
import { createMigratedDatabase, type TestDatabase } from '../helpers/databases';
import { seedUser, waitForCode } from '../helpers/sign-in';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink';

// scripts/test.js fails the run under CI when Chromium is missing; locally it warns.
describe.runIf(hasChromium())('the app shell in Chromium', () => {
	let database: TestDatabase;
	let sink: SmtpSink;
	let server: AppServer;
	let browser: Browser;
	let page: Page;
	const problems: string[] = [];

	beforeAll(async () => {
		database = await createMigratedDatabase('sqlite');
		sink = await startSmtpSink();
		server = await startAppServer({
			DATABASE_URL: database.url,
			MAIL_TRANSPORT: 'smtp',
			SMTP_URL: sink.url
		});
		browser = await launchChromium();
		page = await browser.newPage();
		page.setDefaultTimeout(8000);
		// CSP violations and script errors both surface here.
		page.on('console', (message) => {
			if (message.type() === 'error') problems.push(message.text());
		});
		page.on('pageerror', (error) => problems.push(error.message));
	});

	afterAll(async () => {
		await browser?.close();
		await sink?.stop();
		await server?.stop();
		await database?.drop();
	});

	it('sends a visitor to the login page first', async () => {
		await page.goto(server.origin + '/');
		expect(new URL(page.url()).pathname).toBe('/login');
		expect(await page.title()).toContain('Sign in');
	});

	it('shows the dashboard after sign-in, with the database status fetched by the browser', async () => {
		const user = await seedUser(database.db, { role: 'admin' });
		await page.getByLabel('Username or email').fill(user.username);
		await page.getByLabel('Password').fill(user.password);
		await page.getByRole('button', { name: 'Continue' }).click();
		await page.waitForURL((url) => url.pathname === '/login/verify');
		const { code } = await waitForCode(sink, user.email!);
		await page.getByLabel('Code or backup token').fill(code);
		await page.getByRole('button', { name: 'Verify' }).click();
		await page.waitForURL((url) => url.pathname === '/');

		expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Dashboard');
		const health = page.getByTestId('health');
		await expect.poll(() => health.getAttribute('data-state')).toBe('ok');
		expect(await health.textContent()).toContain('sqlite');
	});

	it('runs without script errors or Content-Security-Policy violations', () => {
		expect(problems).toEqual([]);
	});

	it('shows the not-found page for unknown addresses', async () => {
		const response = await page.goto(server.origin + '/no-such-page');
		expect(response?.status()).toBe(404);
		expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('Page not found');
	});
});
