// "Forgot password" in Chromium against `node build`, mail read from a real SMTP server (the
// text a dev outbox would show): forgot -> mailed link -> emailed code (an email-only account) ->
// new password -> sign in with it; with JavaScript (enhanced forms) and without it.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { hasChromium, launchChromium } from '../helpers/browser';
import { waitForResetLink } from '../helpers/password-reset';
import { seedUser, waitForCode } from '../../tools/sign-in';

const NEW_PASSWORD = 'a brand new long password';

describe.runIf(hasChromium())('resetting a forgotten password in Chromium', () => {
	const stack = useAppStack('sqlite');
	let browser: Browser;
	const problems: string[] = [];

	beforeAll(async () => {
		browser = await launchChromium();
	});
	afterAll(() => browser?.close());

	async function openPage(javaScriptEnabled: boolean): Promise<Page> {
		const context = await browser.newContext({ javaScriptEnabled });
		const page = await context.newPage();
		page.setDefaultTimeout(8000);
		page.on('console', (message) => {
			if (message.type() === 'error') problems.push(`${page.url()}: ${message.text()}`);
		});
		page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
		return page;
	}

	it.each([
		['with JavaScript', true],
		['without JavaScript', false]
	])('%s: forgot -> link -> emailed code -> new password -> signed in', async (_label, js) => {
		const user = await seedUser(stack.database.db);
		const page = await openPage(js);
		const origin = stack.server.origin;

		await page.goto(`${origin}/login`);
		await page.getByRole('link', { name: 'Forgot your password?' }).click();
		await page.waitForURL((url) => url.pathname === '/login/forgot');
		await page.getByLabel('Username or email').fill(user.username);
		await page.getByRole('button', { name: 'Email me a link' }).click();
		await page.waitForURL((url) => url.search === '?sent=1');
		expect(await page.getByTestId('reset-requested').textContent()).toContain(
			'If an account has that username or email'
		);

		const { url } = await waitForResetLink(stack.sink, user.email!);
		await page.goto(url);
		expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Set a new password');
		await page.getByRole('button', { name: 'Email me a code' }).click();
		await page.waitForURL((next) => next.searchParams.has('expires'));
		const { code } = await waitForCode(stack.sink, user.email!);
		await page.getByLabel('Code from the email').fill(code);
		await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
		await page.getByLabel('New password again').fill(NEW_PASSWORD);
		await page.getByRole('button', { name: 'Set new password' }).click();
		await page.waitForURL((next) => next.pathname === '/login' && next.search === '?reset=1');
		expect(await page.getByText('Your password was reset').count()).toBe(1);

		await page.getByLabel('Username or email').fill(user.username);
		await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
		await page.getByRole('button', { name: 'Continue' }).click();
		await page.waitForURL((next) => next.pathname === '/login/verify');
		const signIn = await waitForCode(stack.sink, user.email!);
		await page.getByLabel('Code or backup token').fill(signIn.code);
		await page.getByRole('button', { name: 'Verify' }).click();
		await page.waitForURL((next) => next.pathname !== '/login/verify');
		await page.goto(`${origin}/account`);
		expect(await page.getByTestId('signed-in-as').textContent()).toContain(user.username);

		// The link is spent: opening it again says so.
		await page.goto(url);
		expect(await page.getByTestId('reset-invalid').textContent()).toContain('not valid');
		expect(problems).toEqual([]);
	});
});
