// An admin resets a user's factors in Chromium against `node build`: the user's page shows their
// authenticator app; the reset asks the admin to confirm it's them first (step-up by emailed code),
// then removes it; the page shows none, the audit log shows the reset, the owner is mailed, and
// the user's next sign-in asks for the emailed code. Then the same reset without JavaScript.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getConfig } from '$lib/server/config';
import {
	confirmPendingFactor,
	insertPendingFactor,
	newTotpSecret,
	stepAt
} from '$lib/server/auth/totp';
import { useAppStack } from '../helpers/app-stack';
import { hasChromium, launchChromium } from '../helpers/browser';
import {
	BrowserSessions,
	enterCode,
	failedLoad,
	signInThroughPages,
	submitPassword
} from '../helpers/browser-session';
import { isCodeMailTo, seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

const RESET_SUBJECT = 'The sign-in factors of your Admin account were reset';

// scripts/test.js fails the run under CI when Chromium is missing; locally it warns.
describe.runIf(hasChromium())('an admin resets a user’s factors in Chromium', () => {
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

	const origin = () => stack.server.origin;

	/** A member with a confirmed authenticator app, set up as its confirmation would leave it. */
	async function memberWithTotp(): Promise<SeededUser> {
		const user = await seedUser(stack.database.db);
		const now = Date.now();
		const id = await insertPendingFactor(stack.database.db, user.id, newTotpSecret(), now);
		await confirmPendingFactor(stack.database.db, user.id, id, stepAt(now), now);
		await stack.database.db
			.updateTable('users')
			.set({ preferred_factor: 'totp' })
			.where('id', '=', user.id)
			.execute();
		return user;
	}

	async function openTwoFactorTab(page: Page, user: SeededUser): Promise<void> {
		await page.goto(`${origin()}/users/${user.id}?tab=two-factor`);
		await page.getByTestId('factor-totp').waitFor();
	}

	it('after step-up the reset removes the authenticator app; audit log, notice, email sign-in', async () => {
		const admin = await seedUser(stack.database.db, { role: 'admin' });
		const user = await memberWithTotp();
		const page = await sessions.open();
		await signInThroughPages(page, origin(), stack.sink, admin);
		// The admin's last code is older than the step-up window.
		await stack.database.db
			.updateTable('sessions')
			.set({ verified_at: Date.now() - 60 * 60_000 })
			.where('user_id', '=', admin.id)
			.execute();

		await openTwoFactorTab(page, user);
		expect(await page.getByTestId('factor-totp').textContent()).toContain('on');
		const reset = async () => {
			await page.getByRole('button', { name: 'Reset factors' }).click();
			await page.getByRole('alertdialog').getByRole('button', { name: 'Reset factors' }).click();
		};

		// Refused for want of a fresh code: the step-up panel, and nothing removed.
		await reset();
		const stepUp = page.getByTestId('step-up');
		await stepUp.waitFor();
		const rows = await stack.database.db
			.selectFrom('totp_factors')
			.select('id')
			.where('user_id', '=', user.id)
			.execute();
		expect(rows).toHaveLength(1);
		await stepUp.getByRole('button', { name: 'Email me a code' }).click();
		const { code } = await waitForCode(stack.sink, admin.email!);
		await stepUp.getByLabel('Code').fill(code);
		await stepUp.getByRole('button', { name: 'Confirm' }).click();
		await page.getByText('Confirmed. You can make sensitive changes').waitFor();

		// Again, now with a fresh code.
		await reset();
		await page.getByText('Factors reset: authenticator app removed').first().waitFor();
		expect((await page.getByTestId('factor-totp').textContent())?.trim()).toBe('None');
		await page.getByTestId('factors-none').waitFor();

		await page.goto(`${origin()}/audit?user=${user.id}`);
		expect(await page.locator('td code').allTextContents()).toContain('factors.reset');
		await stack.sink.waitForMessage(
			(m) => m.subject === RESET_SUBJECT && m.envelopeTo.includes(user.email!)
		);

		// The user's next sign-in: the emailed code, sent without asking, since it is all they have.
		const theirs = await sessions.open();
		const before = stack.sink.messages.filter(isCodeMailTo(user.email!)).length;
		await submitPassword(theirs, origin(), user);
		await theirs.getByRole('heading', { name: 'Check your email' }).waitFor();
		const sent = await waitForCode(stack.sink, user.email!);
		expect(stack.sink.messages.filter(isCodeMailTo(user.email!)).length).toBe(before + 1);
		await enterCode(theirs, sent.code);
		await theirs.waitForURL((url) => url.pathname !== '/login/verify');
	});

	it('without JavaScript: the reset is a confirmation disclosure and a plain form', async () => {
		const admin = await seedUser(stack.database.db, { role: 'admin' });
		const user = await memberWithTotp();
		const page = await sessions.open({ javaScriptEnabled: false });
		// A sign-in with an emailed code is a fresh step-up.
		await signInThroughPages(page, origin(), stack.sink, admin);
		await openTwoFactorTab(page, user);
		await page.getByText('Reset factors…').click();
		await page.getByRole('button', { name: 'Reset factors', exact: true }).click();
		await page.getByText('Factors reset: authenticator app removed').waitFor();
		expect((await page.getByTestId('factor-totp').textContent())?.trim()).toBe('None');
	});

	it('runs without script errors or Content-Security-Policy violations', () => {
		// The refused reset (step-up first) is a form answer with 403.
		expect(sessions.unexpectedProblems([failedLoad(403)])).toEqual([]);
	});
});
