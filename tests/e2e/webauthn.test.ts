// Security keys end to end in Chromium against `node build`, with the DevTools protocol's virtual
// authenticator standing in for a USB key: register one from the account page, sign out, sign in
// with password + key, step up with the key, remove it (it no longer signs in), and find both
// changes in the audit log. The server's ORIGIN is http://localhost:<port>: browsers refuse an IP
// address as a WebAuthn relying party, and the origin the browser uses must be ORIGIN.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { hasChromium, launchChromium, pageWithVirtualKey } from '../helpers/browser';
import { enterCode, signInThroughPages, submitPassword } from '../helpers/browser-session';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

describe.runIf(hasChromium())('security keys in Chromium (virtual authenticator)', () => {
	const stack = useAppStack('sqlite', {}, { originHost: 'localhost' });
	let browser: Browser;
	let page: Page;
	let user: SeededUser;
	// Script errors and CSP violations.
	let problems: string[];

	beforeAll(async () => {
		browser = await launchChromium();
		({ page, problems } = await pageWithVirtualKey(browser));
		user = await seedUser(stack.database.db, { role: 'admin' });
	});
	afterAll(() => browser?.close());

	const origin = () => stack.server.origin;

	async function signOut(): Promise<void> {
		await page.goto(origin() + '/account');
		await page.getByRole('button', { name: 'Sign out' }).first().click();
		await page.waitForURL((url) => url.pathname === '/login');
	}

	/** Makes this user's step-up run out, as ten minutes without a code would. */
	async function expireStepUp(): Promise<void> {
		await stack.database.db
			.updateTable('sessions')
			.set({ verified_at: Date.now() - 11 * 60_000 })
			.where('user_id', '=', user.id)
			.execute();
	}

	it('serves the app on localhost, the ORIGIN the key is bound to', () => {
		expect(origin()).toMatch(/^http:\/\/localhost:\d+$/);
	});

	it('a key is registered from the account page (the code sign-in gave a fresh step-up)', async () => {
		await signInThroughPages(page, origin(), stack.sink, user, { start: '/login' });
		await page.goto(origin() + '/account');
		expect(await page.getByTestId('no-security-keys').textContent()).toContain('no security keys');
		await page.getByLabel('Name for the new key').fill('Virtual key');
		await page.getByRole('button', { name: 'Add a security key' }).click();
		await page.getByText('Security key “Virtual key” added').waitFor();
		expect(await page.getByTestId('security-key-name').allTextContents()).toEqual(['Virtual key']);
		expect(await page.getByTestId('security-keys').textContent()).toContain('PIN or biometrics');
	});

	it('after signing out, password + key signs in (no code typed)', async () => {
		await signOut();
		await submitPassword(page, origin(), user, { start: '/login?redirectTo=/account' });
		await page.getByRole('button', { name: 'Use your security key' }).click();
		await page.waitForURL((url) => url.pathname === '/account');
		expect(await page.getByTestId('signed-in-as').textContent()).toContain(user.username);
		expect(await page.getByTestId('security-keys').textContent()).toContain('last used');
	});

	it('without JavaScript, the verify page says why a key needs it (and another way works)', async () => {
		const noScript = await browser.newContext({ javaScriptEnabled: false });
		try {
			const other = await noScript.newPage();
			await submitPassword(other, origin(), user);
			// The key is this account's preferred way: offered first, with the reason it needs
			// JavaScript, and the other ways as plain links.
			const text = await other.getByTestId('security-key-sign-in').textContent();
			expect(text).toContain('Signing in with a security key needs JavaScript');
			expect(await other.locator('#code').count()).toBe(0);
			await other.getByRole('link', { name: 'Use a backup token' }).click();
			expect(await other.locator('#code').count()).toBe(1);
		} finally {
			await noScript.close();
		}
	});

	it('when step-up has run out, the key confirms the change', async () => {
		await expireStepUp();
		await page.goto(origin() + '/account');
		await page.getByText('Rename', { exact: true }).click();
		await page.getByLabel('New name for Virtual key').fill('Keyring key');
		await page.getByRole('button', { name: 'Save' }).click();
		await page.getByTestId('step-up').waitFor();
		await page.getByRole('button', { name: 'Use a security key' }).click();
		await page.getByText('Confirmed. You can make sensitive changes').waitFor();

		await page.goto(origin() + '/account');
		await page.getByText('Rename', { exact: true }).click();
		await page.getByLabel('New name for Virtual key').fill('Keyring key');
		await page.getByRole('button', { name: 'Save' }).click();
		await page.getByText('The security key was renamed.').waitFor();
		expect(await page.getByTestId('security-key-name').allTextContents()).toEqual(['Keyring key']);
	});

	it('a removed key no longer signs in: the verify page no longer offers it', async () => {
		await page.goto(origin() + '/account');
		await page.getByRole('button', { name: 'Remove' }).click();
		await page.getByRole('button', { name: 'Remove key' }).click();
		await page.getByTestId('no-security-keys').waitFor();

		await signOut();
		await submitPassword(page, origin(), user);
		expect(await page.getByTestId('security-key-sign-in').count()).toBe(0);
		const stored = await stack.database.db
			.selectFrom('webauthn_credentials')
			.select('id')
			.where('user_id', '=', user.id)
			.execute();
		expect(stored).toEqual([]);
	});

	it('the audit log shows the key added, used for sign-in and step-up, renamed and removed', async () => {
		// Still on the code step of the last test: every sign-in above mailed a code too, and
		// only the newest one belongs to this pending session.
		let latest: string | null = null;
		for (;;) {
			const next = await waitForCode(stack.sink, user.email!, 200).catch(() => null);
			if (!next) break;
			latest = next.code;
		}
		await enterCode(page, latest!);
		await page.waitForURL((url) => url.pathname !== '/login/verify');
		await page.goto(`${origin()}/audit?user=${user.id}`);
		const rows = await page.locator('tbody tr').allTextContents();
		const has = (event: string, details?: string) =>
			rows.some((row) => row.includes(event) && (!details || row.includes(details)));
		expect(has('webauthn.added', 'Virtual key')).toBe(true);
		expect(has('webauthn.renamed', 'Virtual key -> Keyring key')).toBe(true);
		expect(has('webauthn.removed', 'Keyring key')).toBe(true);
		expect(has('otp.verified', 'webauthn')).toBe(true);
		expect(has('step_up.verified', 'webauthn')).toBe(true);
	});

	it('runs without script errors or Content-Security-Policy violations', () => {
		expect(problems).toEqual([]);
	});
});
