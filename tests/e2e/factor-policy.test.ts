// FACTOR_POLICY in Chromium against `node build`, with admins required to use an authenticator
// app: an admin without one signs in with an emailed code, lands on the enrolment page and can
// open nothing else; once an authenticator is set up there, the app opens; the next sign-in asks
// for the app's code and offers no emailed code at all.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeForStep, stepAt } from '$lib/server/auth/totp';
import { useAppStack } from '../helpers/app-stack';
import { hasChromium, launchChromium } from '../helpers/browser';
import { BrowserSessions, enterCode, pathOf, submitPassword } from '../helpers/browser-session';
import { isCodeMailTo, seedUser, waitForCode } from '../../tools/sign-in';

// scripts/test.js fails the run under CI when Chromium is missing; locally it warns.
describe.runIf(hasChromium())('factor policy in Chromium', () => {
	const stack = useAppStack('sqlite', { FACTOR_POLICY: 'admin: totp' });
	let browser: Browser;
	let sessions: BrowserSessions;

	beforeAll(async () => {
		browser = await launchChromium();
		sessions = new BrowserSessions(browser, stack.server.origin);
	});
	afterAll(() => browser?.close());

	const codeMailsTo = (email: string) => stack.sink.messages.filter(isCodeMailTo(email)).length;

	async function open(page: Page, path: string): Promise<string> {
		await page.goto(stack.server.origin + path);
		return pathOf(page);
	}

	it('an admin without an authenticator is held on the enrolment page until they set one up, then signs in with it only', async () => {
		const admin = await seedUser(stack.database.db, { role: 'admin' });
		const page = await sessions.open();

		// The code step says what comes after it; the emailed code still finishes the sign-in, but
		// leads to the enrolment page only.
		await submitPassword(page, stack.server.origin, admin, { start: '/users' });
		expect(await page.getByTestId('enrolment-ahead').textContent()).toBe(
			'After this step you will be asked to set up an authenticator app: your role signs in with one.'
		);
		await enterCode(page, (await waitForCode(stack.sink, admin.email!)).code);
		await page.waitForURL((url) => url.pathname !== '/login/verify');
		expect(pathOf(page)).toBe('/account/security');
		await page.getByRole('heading', { name: 'Set up a second factor' }).waitFor();
		expect(await page.getByTestId('enrolment-required').textContent()).toContain(
			'Your role requires an authenticator app'
		);
		const nav = page.getByRole('navigation', { name: 'Main' });
		expect((await nav.getByRole('link').allTextContents()).map((text) => text.trim())).toEqual([
			'Set up sign-in'
		]);
		for (const path of ['/users', '/', '/account', '/audit']) {
			expect(await open(page, path), path).toBe('/account/security');
		}

		// Set up the authenticator (the sign-in's code is recent: no step-up asked).
		await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
		const key = page.getByTestId('totp-secret');
		await key.waitFor();
		const secret = (await key.textContent())!.replace(/\s/g, '');
		// The previous step's code, so the current one is left for the sign-in below.
		const base = stepAt(Date.now());
		await page.getByLabel('Code from the app').fill(codeForStep(secret, base - 1));
		await page.getByRole('button', { name: 'Confirm' }).click();
		await page.getByTestId('enrolment-done').waitFor();

		expect(await open(page, '/users')).toBe('/users');
		await page.getByRole('heading', { name: 'Users' }).waitFor();

		// Sign out, then in: the app's code is asked for, and email is neither sent nor offered.
		await page.getByRole('button', { name: 'Sign out' }).first().click();
		await page.waitForURL((url) => url.pathname === '/login');
		const mailsBefore = codeMailsTo(admin.email!);
		await submitPassword(page, stack.server.origin, admin);
		await page.getByRole('heading', { name: 'Open your authenticator app' }).waitFor();
		expect(await page.getByText('Email me a code').count()).toBe(0);
		expect(await page.getByText(/emailed code/i).count()).toBe(0);
		await enterCode(page, codeForStep(secret, base));
		await page.waitForURL((url) => url.pathname !== '/login/verify');
		expect(pathOf(page)).toBe('/');
		expect(codeMailsTo(admin.email!), 'no code was emailed').toBe(mailsBefore);
		expect(await open(page, '/users')).toBe('/users');
	});

	it('runs without script errors or Content-Security-Policy violations', () => {
		expect(sessions.unexpectedProblems([])).toEqual([]);
	});
});
