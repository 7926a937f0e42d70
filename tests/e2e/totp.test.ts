// Authenticator apps in Chromium against `node build`, codes computed as an app would from the key
// the account page shows: set one up, sign out, sign in with it, step up with it, remove it, and
// find both changes in the audit log. Then without JavaScript: the verify page (the authenticator,
// and email chosen through "use another way"), and the setup itself, plain form posts from start
// to end. The server's clock is the real one, so the codes are picked by step: each step is
// accepted once, and every one used is within one step of now.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getConfig } from '$lib/server/config';
import {
	codeForStep,
	confirmPendingFactor,
	insertPendingFactor,
	newTotpSecret,
	stepAt,
	totpUri
} from '$lib/server/auth/totp';
import { qrCode } from '$lib/server/pages/qr';
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
import { isCodeMailTo, seedUser, waitForCode } from '../../tools/sign-in';

// scripts/test.js fails the run under CI when Chromium is missing; locally it warns.
describe.runIf(hasChromium())('authenticator apps in Chromium', () => {
	const stack = useAppStack('sqlite', () => ({
		// Secrets set up by the test directly are sealed with this process's AUTH_SECRET.
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

	async function signOut(page: Page): Promise<void> {
		await page.goto(stack.server.origin + '/account');
		await page.getByRole('button', { name: 'Sign out' }).first().click();
		await page.waitForURL((url) => url.pathname === '/login');
	}

	it('set up from the account page, sign in with it, step up with it, remove it: all in the audit log', async () => {
		const user = await seedUser(stack.database.db, { role: 'admin' });
		const page = await sessions.open();
		await signInThroughPages(page, stack.server.origin, stack.sink, user, { start: '/account' });

		// Set up: the QR code is an inline SVG, the key is text to type (or, here, to read).
		await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
		const key = page.getByTestId('totp-secret');
		await key.waitFor();
		expect(
			await page.getByRole('img', { name: 'QR code for your authenticator app' }).count()
		).toBe(1);
		const secret = (await key.textContent())!.replace(/\s/g, '');
		expect(secret).toMatch(/^[A-Z2-7]{32}$/);
		// The previous step's code (still inside the window), so that the two after it are left
		// for the sign-in and the step-up below.
		const base = stepAt(Date.now());
		await page.getByLabel('Code from the app').fill(codeForStep(secret, base - 1));
		await page.getByRole('button', { name: 'Confirm' }).click();
		await page.getByText('Your authenticator app is set up').waitFor();
		expect(await page.getByTestId('totp-status').textContent()).toContain('on');

		// Sign out, then in: no code is emailed, the app's code is asked for first.
		await signOut(page);
		const mailsBefore = codeMailsTo(user.email!);
		await submitPassword(page, stack.server.origin, user);
		await page.getByRole('heading', { name: 'Open your authenticator app' }).waitFor();
		await page.getByLabel('Code from your authenticator app').fill(codeForStep(secret, base));
		await page.getByRole('button', { name: 'Verify' }).click();
		await page.waitForURL((url) => url.pathname !== '/login/verify');
		expect(codeMailsTo(user.email!), 'no code was emailed').toBe(mailsBefore);

		// Step-up with the app: this session's last code is made older than the step-up window.
		await stack.database.db
			.updateTable('sessions')
			.set({ verified_at: Date.now() - 60 * 60_000 })
			.where('user_id', '=', user.id)
			.where('state', '=', 'verified')
			.execute();
		await page.goto(stack.server.origin + '/account');
		await page.getByRole('button', { name: 'Remove' }).click();
		await page.getByRole('button', { name: 'Remove authenticator' }).click();
		const stepUp = page.getByTestId('step-up');
		await stepUp.waitFor();
		await stepUp.getByLabel('Authenticator code').fill(codeForStep(secret, base + 1));
		await stepUp.getByRole('button', { name: 'Confirm' }).click();
		await page.getByText('Confirmed. You can make sensitive changes').waitFor();
		expect(codeMailsTo(user.email!), 'no step-up code was emailed').toBe(mailsBefore);

		await page.getByRole('button', { name: 'Remove' }).click();
		await page.getByRole('button', { name: 'Remove authenticator' }).click();
		await page.getByText('Authenticator app removed.').waitFor();
		expect(await page.getByTestId('totp-status').textContent()).toContain('off');

		await page.goto(`${stack.server.origin}/audit?user=${user.id}`);
		const events = await page.locator('td code').allTextContents();
		expect(events).toEqual(
			expect.arrayContaining(['totp.added', 'totp.removed', 'step_up.verified'])
		);
	});

	it('without JavaScript: the verify page asks for the app first and offers email as another way', async () => {
		const user = await seedUser(stack.database.db);
		const secret = newTotpSecret();
		const now = Date.now();
		const id = await insertPendingFactor(stack.database.db, user.id, secret, now);
		await confirmPendingFactor(stack.database.db, user.id, id, stepAt(now) - 1, now);
		const page = await sessions.open({ javaScriptEnabled: false });

		// The authenticator.
		await submitPassword(page, stack.server.origin, user);
		await page.getByRole('heading', { name: 'Open your authenticator app' }).waitFor();
		const field = page.getByLabel('Code from your authenticator app');
		await field.fill(codeForStep(secret, stepAt(Date.now()) + 5));
		await page.getByRole('button', { name: 'Verify' }).click();
		expect(await page.getByRole('alert').textContent()).toContain('Wrong or expired code');
		await enterCode(page, codeForStep(secret, stepAt(now)));
		await page.waitForURL((url) => url.pathname !== '/login/verify');
		expect(pathOf(page)).toBe('/');

		// Email, chosen: nothing is sent until then.
		await signOut(page);
		const mailsBefore = codeMailsTo(user.email!);
		await submitPassword(page, stack.server.origin, user);
		expect(codeMailsTo(user.email!)).toBe(mailsBefore);
		const others = page.getByRole('navigation', { name: 'Other ways to sign in' });
		expect(await others.getByRole('link').allTextContents()).toEqual([
			'Email me a code',
			'Use a backup token'
		]);
		await others.getByRole('link', { name: 'Email me a code' }).click();
		await page.getByRole('heading', { name: 'Check your email' }).waitFor();
		await page.getByRole('button', { name: 'Email me a code' }).click();
		const { code } = await waitForCode(stack.sink, user.email!);
		await page.getByLabel('Code or backup token').fill(code);
		await page.getByRole('button', { name: 'Verify' }).click();
		await page.waitForURL((url) => url.pathname !== '/login/verify');
		expect(pathOf(page)).toBe('/');
	});

	it('without JavaScript: set up from the account page with plain form posts (the QR code drawn on the server), then signed in with it', async () => {
		const user = await seedUser(stack.database.db);
		const page = await sessions.open({ javaScriptEnabled: false });
		await signInThroughPages(page, stack.server.origin, stack.sink, user, { start: '/account' });
		expect(pathOf(page)).toBe('/account');

		// ?/totpBegin, a plain form post: the answer is a page with the setup in it.
		await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
		await page.getByTestId('totp-enrolment').waitFor();
		expect(new URL(page.url()).search).toBe('?/totpBegin');
		const secret = (await page.getByTestId('totp-secret').textContent())!.replace(/\s/g, '');
		expect(secret).toMatch(/^[A-Z2-7]{32}$/);
		// The QR code is an <svg> in the server's HTML (no script ran to draw it), and it holds
		// this secret for this account: the path the server draws for the app's otpauth:// URI.
		const qr = page.locator('svg[role="img"][aria-label="QR code for your authenticator app"]');
		expect(await qr.count()).toBe(1);
		const drawn = qrCode(totpUri(secret, getConfig().appName, user.username));
		expect(await qr.getAttribute('viewBox')).toBe(`0 0 ${drawn.size} ${drawn.size}`);
		expect(await qr.locator('path').getAttribute('d')).toBe(drawn.path);

		// ?/totpConfirm: a wrong code brings the same setup back (no script keeps it on the page).
		await page.getByLabel('Code from the app').fill(codeForStep(secret, stepAt(Date.now()) + 5));
		await page.getByRole('button', { name: 'Confirm' }).click();
		await page.getByText('Wrong or expired code').waitFor();
		expect(new URL(page.url()).search).toBe('?/totpConfirm');
		expect((await page.getByTestId('totp-secret').textContent())!.replace(/\s/g, '')).toBe(secret);
		expect(await page.getByTestId('totp-status').textContent()).toContain('off');
		// This step's code; the sign-in below uses the next step's, which is accepted whether or
		// not the clock has reached it by then (one step either side of now is).
		const step = stepAt(Date.now());
		await page.getByLabel('Code from the app').fill(codeForStep(secret, step));
		await page.getByRole('button', { name: 'Confirm' }).click();
		await page.getByText('Your authenticator app is set up').waitFor();
		expect(await page.getByTestId('totp-status').textContent()).toContain('on');
		expect(await page.getByTestId('totp-enrolment').count()).toBe(0);

		// The next sign-in asks for the app's code first, and emails none.
		await signOut(page);
		const mailsBefore = codeMailsTo(user.email!);
		await submitPassword(page, stack.server.origin, user);
		await page.getByRole('heading', { name: 'Open your authenticator app' }).waitFor();
		await enterCode(page, codeForStep(secret, step + 1));
		await page.waitForURL((url) => url.pathname !== '/login/verify');
		expect(pathOf(page)).toBe('/');
		expect(codeMailsTo(user.email!), 'no code was emailed').toBe(mailsBefore);
	});

	it('runs without script errors or Content-Security-Policy violations', () => {
		// A wrong code without JavaScript is a form post answered with 401.
		expect(sessions.unexpectedProblems([failedLoad(401)])).toEqual([]);
	});
});
