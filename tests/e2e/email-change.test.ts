// Changing one's own email in Chromium against `node build` with the outbox transport: ask on My
// account, take the link from the outbox (the /dev/outbox page shows the same table, but only
// exists under `vite dev`, never in a build), open it (the page only shows a button: nothing
// changes until it is pressed), confirm, and the account shows the new address. Once with
// JavaScript and once without.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestOutboxMessage } from '$lib/server/mail';
import { useAppStack } from '../helpers/app-stack';
import { hasChromium, launchChromium } from '../helpers/browser';
import { extractCode, seedUser, type SeededUser } from '../../tools/sign-in';

// scripts/test.js fails the run under CI when Chromium is missing; locally it warns.
describe.runIf(hasChromium())('changing your own email in Chromium', () => {
	// The outbox transport: mail lands in mail_outbox, what /dev/outbox lists.
	const stack = useAppStack('sqlite', { MAIL_TRANSPORT: 'outbox' });
	let browser: Browser;
	const contexts: BrowserContext[] = [];
	// Script errors and CSP violations (Chromium reports both as console errors).
	const problems: string[] = [];

	beforeAll(async () => {
		browser = await launchChromium();
	});
	afterAll(async () => {
		for (const context of contexts) await context.close();
		await browser?.close();
	});

	async function openPage(javaScriptEnabled: boolean): Promise<Page> {
		const context = await browser.newContext({ javaScriptEnabled });
		contexts.push(context);
		const page = await context.newPage();
		page.setDefaultTimeout(8000);
		page.on('console', (message) => {
			if (message.type() === 'error') problems.push(`${page.url()}: ${message.text()}`);
		});
		page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
		return page;
	}

	/** The newest outbox message to `to` whose subject is `subject`, waiting for it to land. */
	async function outboxMessage(to: string, subject: RegExp) {
		for (let i = 0; i < 50; i++) {
			const message = await latestOutboxMessage(stack.database.db, to);
			if (message && subject.test(message.subject)) return message;
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		throw new Error(`no message to ${to} matching ${subject}`);
	}

	async function signIn(page: Page, user: SeededUser): Promise<void> {
		await page.goto(stack.server.origin + '/login?redirectTo=/account');
		await page.getByLabel('Username or email').fill(user.username);
		await page.getByLabel('Password').fill(user.password);
		await page.getByRole('button', { name: 'Continue' }).click();
		await page.waitForURL((url) => url.pathname === '/login/verify');
		const code = extractCode(await outboxMessage(user.email!, /sign-in code/));
		await page.getByLabel('Code or backup token').fill(code);
		await page.getByRole('button', { name: 'Verify' }).click();
		await page.waitForURL((url) => url.pathname === '/account');
	}

	async function storedEmail(userId: string): Promise<string | null> {
		const row = await stack.database.db
			.selectFrom('users')
			.select('email')
			.where('id', '=', userId)
			.executeTakeFirstOrThrow();
		return row.email;
	}

	/** The confirmation link, from the outbox message to the new address. */
	async function linkFromOutbox(to: string): Promise<string> {
		const message = await outboxMessage(to, /Confirm the new email address/);
		const link = /https?:\/\/\S+\/email\/confirm\?token=[A-Za-z0-9_-]{43}/.exec(message.text)?.[0];
		if (!link) throw new Error(`no confirmation link in the outbox for ${to}:\n${message.text}`);
		return link;
	}

	it.each([
		['with JavaScript', true],
		['without JavaScript', false]
	])(
		'%s: My account -> link from the outbox -> confirm -> the account shows the new address',
		async (_label, javaScriptEnabled) => {
			const user = await seedUser(stack.database.db);
			const next = `new-${user.username}@example.org`;
			const page = await openPage(javaScriptEnabled);
			await signIn(page, user);

			await page.getByLabel('New email').fill(next);
			await page.getByRole('button', { name: 'Send link' }).click();
			const pending = page.getByTestId('pending-email');
			await pending.waitFor();
			expect(await pending.textContent()).toContain(next);
			expect(await page.getByTestId('account-email').textContent()).toContain(user.email!);
			expect(await storedEmail(user.id)).toBe(user.email);

			const link = await linkFromOutbox(next);
			expect(new URL(link).origin).toBe(stack.server.origin);
			await page.goto(link);
			expect(await page.getByTestId('new-email').textContent()).toBe(next);
			// Opening the link (what a mail scanner does) changed nothing.
			expect(await storedEmail(user.id)).toBe(user.email);

			await page.getByRole('button', { name: 'Confirm' }).click();
			await page.getByText('is now your account').waitFor();
			expect(await storedEmail(user.id)).toBe(next);

			await page.goto(stack.server.origin + '/account');
			expect((await page.getByTestId('account-email').textContent())?.trim()).toBe(next);
			expect(await page.getByTestId('pending-email').count()).toBe(0);

			// The link works once.
			await page.goto(link);
			await page.getByText('This link is not valid').waitFor();
			expect(problems).toEqual([]);
		}
	);
});
