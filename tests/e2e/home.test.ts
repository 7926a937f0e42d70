import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type AppServer } from '../helpers/app-server';
import { hasChromium, launchChromium } from '../helpers/browser';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';

// scripts/test.js fails the run under CI when Chromium is missing; locally it warns.
describe.runIf(hasChromium())('the home page in Chromium', () => {
	let database: TestDatabase;
	let server: AppServer;
	let browser: Browser;
	let page: Page;
	const problems: string[] = [];

	beforeAll(async () => {
		database = await createTestDatabase('sqlite');
		server = await startAppServer({ DATABASE_URL: database.url });
		browser = await launchChromium();
		page = await browser.newPage();
		// CSP violations and script errors both surface here.
		page.on('console', (message) => {
			if (message.type() === 'error') problems.push(message.text());
		});
		page.on('pageerror', (error) => problems.push(error.message));
	});

	afterAll(async () => {
		await browser?.close();
		await server?.stop();
		await database?.drop();
	});

	it('shows the app and a reachable database', async () => {
		await page.goto(server.origin + '/');
		expect(await page.title()).toBe('Admin');
		expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Admin');
		expect(await page.getByTestId('health').textContent()).toMatch(/Database reachable\s*sqlite/);
	});

	it('asks the API again from the browser through the tRPC client', async () => {
		const call = page.waitForResponse((response) => response.url().includes('/trpc/health'));
		await page.getByRole('button', { name: 'Check again' }).click();
		expect((await call).status()).toBe(200);
		await expect
			.poll(() => page.getByRole('button', { name: 'Check again' }).isEnabled())
			.toBe(true);
		expect(await page.getByTestId('health').textContent()).toMatch(/Database reachable\s*sqlite/);
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
