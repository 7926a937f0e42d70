// The sign-in pages in Chromium against `node build`, codes read from a real SMTP server:
// with JavaScript (enhanced forms) and without it (plain form posts).
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { hasChromium, launchChromium } from '../helpers/browser';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

// scripts/test.js fails the run under CI when Chromium is missing; locally it warns.
describe.runIf(hasChromium())('signing in with the pages in Chromium', () => {
	const stack = useAppStack('sqlite');
	let browser: Browser;
	const contexts: BrowserContext[] = [];
	// Script errors and CSP violations (Chromium reports both as console errors).
	const problems: string[] = [];

	beforeAll(async () => {
		browser = await launchChromium();
	});
	afterAll(() => browser?.close());

	async function openPage(options: { javaScriptEnabled: boolean }): Promise<Page> {
		const context = await browser.newContext(options);
		contexts.push(context);
		const page = await context.newPage();
		// Fail at the step that hangs, well inside the test's own timeout.
		page.setDefaultTimeout(8000);
		page.on('console', (message) => {
			if (message.type() === 'error') problems.push(`${page.url()}: ${message.text()}`);
		});
		page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
		return page;
	}

	/** From /account, through the password form, to the code form. */
	async function reachCodeStep(page: Page, user: SeededUser): Promise<void> {
		await page.goto(stack.server.origin + '/account');
		expect(new URL(page.url()).pathname).toBe('/login');
		expect(new URL(page.url()).searchParams.get('redirectTo')).toBe('/account');

		await page.getByLabel('Username or email').fill(user.username);
		await page.getByLabel('Password').fill(user.password);
		await page.getByRole('button', { name: 'Continue' }).click();
		await page.waitForURL((url) => url.pathname === '/login/verify');
		expect(new URL(page.url()).searchParams.get('redirectTo')).toBe('/account');
	}

	async function enterCode(page: Page, code: string): Promise<void> {
		await page.getByLabel('Code or backup token').fill(code);
		await page.getByRole('button', { name: 'Verify' }).click();
	}

	/** After a right code: back where the sign-in started (redirectTo), signed in. */
	async function expectSignedIn(page: Page, user: SeededUser): Promise<void> {
		await page.waitForURL((url) => url.pathname !== '/login/verify');
		expect(new URL(page.url()).pathname, 'redirectTo=/account is honoured').toBe('/account');
		expect(await page.getByTestId('signed-in-as').textContent()).toContain(user.username);
	}

	it.each([
		['with JavaScript', true],
		['without JavaScript', false]
	])('%s: /account -> /login -> code -> back on /account', async (_label, javaScriptEnabled) => {
		const user = await seedUser(stack.database.db);
		const page = await openPage({ javaScriptEnabled });

		await reachCodeStep(page, user);
		const { code } = await waitForCode(stack.sink, user.email!);
		await enterCode(page, code);
		await expectSignedIn(page, user);

		// A reload is served from the session cookie alone.
		await page.reload();
		expect(await page.getByTestId('signed-in-as').textContent()).toContain(user.username);
	});

	it.each([
		['with JavaScript', true],
		['without JavaScript', false]
	])('%s: a wrong code shows the error and the right one still works', async (_label, js) => {
		const user = await seedUser(stack.database.db);
		const page = await openPage({ javaScriptEnabled: js });

		await reachCodeStep(page, user);
		const { code } = await waitForCode(stack.sink, user.email!);
		const wrong = code.replace(/\d$/, (digit) => String((Number(digit) + 1) % 10));
		await enterCode(page, wrong);

		const alert = page.getByRole('alert');
		await alert.waitFor();
		expect(await alert.textContent()).toContain('Wrong or expired code');
		expect(new URL(page.url()).pathname).toBe('/login/verify');

		await enterCode(page, code);
		await expectSignedIn(page, user);
	});

	it('runs without script errors or Content-Security-Policy violations', () => {
		// Without JavaScript a failed form post renders with its 401 status, which Chromium
		// reports as a failed resource load; that is the page working, not a problem.
		const unexpected = problems.filter(
			(problem) =>
				!/^\S+\/login\/verify\?\S*: Failed to load resource: .*status of 401\b/.test(problem)
		);
		expect(unexpected).toEqual([]);
	});
});
