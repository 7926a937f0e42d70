// The sign-in pages beyond the happy path, in Chromium against `node build` with codes read from
// a real SMTP server: `redirectTo` values that point off the site, backup tokens with and without
// JavaScript, and the resend cooldown the verify page shows.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import { getConfig } from '$lib/server/config';
import { useAppStack } from '../helpers/app-stack';
import { hasChromium, launchChromium } from '../helpers/browser';
import {
	BrowserSessions,
	enterCode,
	failedLoad,
	pathOf,
	signInThroughPages,
	submitPassword
} from '../helpers/browser-session';
import { isCodeMailTo, seedUser } from '../../tools/sign-in';

const JS_ON_AND_OFF = [
	['with JavaScript', true],
	['without JavaScript', false]
] as const;

// scripts/test.js fails the run under CI when Chromium is missing; locally it warns.
describe.runIf(hasChromium())('sign-in edge cases in Chromium', () => {
	const stack = useAppStack('sqlite', () => ({
		// Backup tokens minted here are keyed hashes: the server must hash with the same secret.
		AUTH_SECRET: getConfig().authSecret
	}));
	let browser: Browser;
	let sessions: BrowserSessions;

	beforeAll(async () => {
		browser = await launchChromium();
		sessions = new BrowserSessions(browser, stack.server.origin);
	});
	afterAll(() => browser?.close());

	const codeMailsTo = (email: string) => stack.sink.messages.filter(isCodeMailTo(email)).length;

	describe('a redirectTo that leaves the site lands on / after the code step', () => {
		// Query strings exactly as they would appear in a crafted link.
		it.each([
			'redirectTo=https%3A%2F%2Fevil.example',
			'redirectTo=//evil.example',
			'redirectTo=/%5Cevil.example',
			'redirectTo=%2F%2Fevil.example',
			'redirectTo=%252F%252Fevil.example',
			'redirectTo=/%09/evil.example',
			'redirectTo=javascript:alert(1)'
		])('/login?%s', async (query) => {
			const user = await seedUser(stack.database.db);
			const page = await sessions.open();
			await signInThroughPages(page, stack.server.origin, stack.sink, user, {
				start: `/login?${query}`
			});

			const landed = new URL(page.url());
			expect(landed.origin).toBe(stack.server.origin);
			expect(landed.pathname).toBe('/');
			expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Dashboard');
		});
	});

	describe('a backup token signs in instead of the emailed code, once', () => {
		it.each(JS_ON_AND_OFF)('%s', async (_label, javaScriptEnabled) => {
			const user = await seedUser(stack.database.db);
			const [token] = await insertBackupTokens(stack.database.db, user.id, 1);
			const page = await sessions.open({ javaScriptEnabled });

			await submitPassword(page, stack.server.origin, user, {
				start: '/login?redirectTo=/account'
			});
			await page.getByRole('link', { name: 'Use a backup token instead' }).click();
			await page.getByRole('heading', { name: 'Enter a backup token' }).waitFor();
			await page.getByLabel('Backup token').waitFor();
			await enterCode(page, token!);

			await page.waitForURL((url) => url.pathname !== '/login/verify');
			expect(pathOf(page), 'redirectTo survives the switch to a backup token').toBe('/account');
			expect(await page.getByTestId('signed-in-as').textContent()).toContain(user.username);
			const left = await stack.database.db
				.selectFrom('backup_tokens')
				.select('id')
				.where('user_id', '=', user.id)
				.execute();
			expect(left).toEqual([]);
		});
	});

	describe('the verify page shows the resend cooldown and keeps to it', () => {
		let page: Page;

		it('with JavaScript: a countdown, and the resend button disabled until it ends', async () => {
			const user = await seedUser(stack.database.db);
			page = await sessions.open();
			await submitPassword(page, stack.server.origin, user);

			const countdown = page.getByText(/New code available in \d+:\d\d/);
			await countdown.waitFor();
			expect(await countdown.textContent()).toMatch(/in 0:5\d|in 1:00/);
			expect(await page.getByRole('button', { name: 'Send a new code' }).isDisabled()).toBe(true);
		});

		it('without JavaScript: the time it opens, and a resend before then states the wait', async () => {
			const user = await seedUser(stack.database.db);
			page = await sessions.open({ javaScriptEnabled: false });
			await submitPassword(page, stack.server.origin, user);
			await stack.sink.waitForMessage(isCodeMailTo(user.email!));

			expect(await page.getByText('A new code can be sent from').textContent()).toMatch(
				/\d\d:\d\d:\d\d UTC/
			);
			await page.getByRole('button', { name: 'Send a new code' }).click();
			const alert = page.getByRole('alert');
			await alert.waitFor();
			expect(await alert.textContent()).toMatch(/You can ask for a new code in \d+ seconds\./);
			expect(codeMailsTo(user.email!), 'no second code was sent').toBe(1);
		});
	});

	describe('the pages run clean in the browser', () => {
		it('without script errors or Content-Security-Policy violations', () => {
			// A refused resend without JavaScript is a form post answered with 429.
			expect(sessions.unexpectedProblems([failedLoad(429)])).toEqual([]);
		});
	});
});
