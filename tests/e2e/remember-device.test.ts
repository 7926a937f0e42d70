// "Don't ask again on this device" in Chromium against `node build`: tick the box, sign out, sign
// in with the password alone, find the device on the account page, forget it, and the code is
// asked again.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { hasChromium, launchChromium } from '../helpers/browser';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

const DAY_SECONDS = 24 * 60 * 60;

// scripts/test.js fails the run under CI when Chromium is missing; locally it warns.
describe.runIf(hasChromium())('remembering a device in Chromium', () => {
	const stack = useAppStack('sqlite');
	let browser: Browser;
	let context: BrowserContext;
	// Script errors and CSP violations (Chromium reports both as console errors).
	const problems: string[] = [];

	beforeAll(async () => {
		browser = await launchChromium();
	});
	afterAll(async () => {
		await context?.close();
		await browser?.close();
	});

	async function openPage(): Promise<Page> {
		context = await browser.newContext();
		const page = await context.newPage();
		page.setDefaultTimeout(8000);
		page.on('console', (message) => {
			if (message.type() === 'error') problems.push(`${page.url()}: ${message.text()}`);
		});
		page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
		return page;
	}

	async function enterPassword(page: Page, user: SeededUser): Promise<void> {
		await page.goto(stack.server.origin + '/login?redirectTo=/account');
		await page.getByLabel('Username or email').fill(user.username);
		await page.getByLabel('Password').fill(user.password);
		await page.getByRole('button', { name: 'Continue' }).click();
		await page.waitForURL((url) => url.pathname !== '/login');
	}

	async function signOut(page: Page): Promise<void> {
		await page
			.getByRole('main')
			.getByRole('button', { name: 'Sign out', exact: true })
			.first()
			.click();
		await page.waitForURL((url) => url.pathname === '/login');
	}

	it('skips the code after the box was ticked, until the device is forgotten', async () => {
		const user = await seedUser(stack.database.db);
		const page = await openPage();

		// First sign-in: the code, with the box ticked.
		await enterPassword(page, user);
		expect(new URL(page.url()).pathname).toBe('/login/verify');
		const { code } = await waitForCode(stack.sink, user.email!);
		await page.getByLabel('Code or backup token').fill(code);
		await page.getByLabel('Don’t ask again on this device for 30 days').check();
		await page.getByRole('button', { name: 'Verify' }).click();
		await page.waitForURL((url) => url.pathname === '/account');

		const cookies = await context.cookies(stack.server.origin);
		const device = cookies.find((cookie) => cookie.name === 'remembered_device');
		expect(device).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
		const lifetime = device!.expires - Date.now() / 1000;
		expect(lifetime).toBeGreaterThan(30 * DAY_SECONDS - 60);
		expect(lifetime).toBeLessThanOrEqual(30 * DAY_SECONDS);
		// Scripts on the page cannot read it.
		expect(await page.evaluate(() => document.cookie)).not.toContain('remembered_device');

		// Signed out and back: the password alone, straight to where the sign-in was going.
		await signOut(page);
		await enterPassword(page, user);
		expect(new URL(page.url()).pathname).toBe('/account');
		expect(await page.getByTestId('signed-in-as').textContent()).toContain(user.username);

		// Listed beside the sessions, with its browser and last use; forget it.
		const card = page.locator('#devices');
		const row = card.getByRole('row').filter({ hasText: 'Chrome on Linux' });
		await expect.poll(() => row.count()).toBe(1);
		expect(await row.textContent()).not.toContain('never');
		await row.getByRole('button', { name: 'Forget' }).click();
		await page.getByRole('alertdialog').getByRole('button', { name: 'Forget device' }).click();
		await expect.poll(() => card.getByText('No remembered devices').count()).toBe(1);

		// Now the code is asked again.
		await signOut(page);
		await enterPassword(page, user);
		expect(new URL(page.url()).pathname).toBe('/login/verify');
		await waitForCode(stack.sink, user.email!);
		expect(problems).toEqual([]);
	});
});
