// What the admin shell draws, in Chromium against `node build`: the dashboard chart's axis, the
// sidebar on a page longer than the window, and the status of a user who has not signed in yet.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '$lib/server/db/audit-log';
import { useAppStack } from '../helpers/app-stack';
import { hasChromium, launchChromium } from '../helpers/browser';
import { BrowserSessions, signInThroughPages } from '../helpers/browser-session';
import { seedUser, type SeededUser } from '../../tools/sign-in';

const VIEWPORT = { width: 1280, height: 700 };

// scripts/test.js fails the run under CI when Chromium is missing; locally it warns.
describe.runIf(hasChromium())('the admin shell in Chromium', () => {
	const stack = useAppStack('sqlite');
	let browser: Browser;
	let sessions: BrowserSessions;
	let admin: Page;
	let adminUser: SeededUser;

	beforeAll(async () => {
		browser = await launchChromium();
		sessions = new BrowserSessions(browser, stack.server.origin);
		adminUser = await seedUser(stack.database.db, { role: 'admin' });
		admin = await sessions.open({ viewport: VIEWPORT });
		// One sign-in on a fresh database: the chart's largest count is 1.
		await signInThroughPages(admin, stack.server.origin, stack.sink, adminUser);
	});
	afterAll(() => browser?.close());

	it("the chart's y-axis labels are distinct integers when the largest count is 1", async () => {
		await admin.goto(stack.server.origin + '/');
		// The y-axis labels are the chart's only right-aligned text.
		const labels = await admin.locator('figure svg text[text-anchor="end"]').allTextContents();
		const ticks = labels.map((label) => label.trim());
		expect(ticks.length).toBeGreaterThanOrEqual(2);
		expect(new Set(ticks).size).toBe(ticks.length);
		expect(ticks.every((tick) => /^\d+$/.test(tick))).toBe(true);
		expect(ticks).toEqual(['0', '1']);
	});

	it('the sidebar spans the full height of a long page, and its links stay in view', async () => {
		// 60 audit rows: the log's first page of 50 is several windows tall.
		for (let i = 0; i < 60; i++) {
			await recordAudit(stack.database.db, { event: 'account.unlocked', subjectId: adminUser.id });
		}
		await admin.goto(stack.server.origin + '/audit');
		const pageHeight = await admin.evaluate(() => document.documentElement.scrollHeight);
		expect(pageHeight).toBeGreaterThan(2 * VIEWPORT.height);

		await admin.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
		const sidebar = await admin.locator('aside').boundingBox();
		expect(sidebar).not.toBeNull();
		// Its box runs from the page's top to its bottom (a full-page screenshot or print shows
		// its background all the way down), so it covers the window here too.
		const scrolled = await admin.evaluate(() => window.scrollY);
		expect(sidebar!.y + scrolled).toBeLessThanOrEqual(0);
		expect(sidebar!.height).toBeGreaterThanOrEqual(pageHeight);
		expect(sidebar!.y + sidebar!.height).toBeGreaterThanOrEqual(VIEWPORT.height);
		// What it holds follows the scroll.
		const link = await admin.getByRole('navigation', { name: 'Main' }).boundingBox();
		expect(link!.y).toBeGreaterThanOrEqual(0);
		expect(link!.y).toBeLessThan(VIEWPORT.height);
	});

	it('a user made with create-user is not flagged as a fault before their first code', async () => {
		// seedUser calls createUser, the service `npm run create-user` calls.
		const member = await seedUser(stack.database.db);
		const row = () => admin.getByRole('row').filter({ hasText: member.username });
		await admin.goto(`${stack.server.origin}/users?search=${member.username}`);
		await row().waitFor();
		expect(await row().textContent()).toContain('no code entered yet');
		expect(await row().textContent()).not.toContain('unconfirmed');
		await admin.goto(`${stack.server.origin}/users/${member.id}`);
		const status = admin.getByRole('list', { name: 'Status' });
		expect(await status.textContent()).toContain('no code entered yet');
		expect(await status.textContent()).not.toContain('unconfirmed');

		// Their first emailed code proves the address: the list shows nothing to look into.
		const page = await sessions.open({ viewport: VIEWPORT });
		await signInThroughPages(page, stack.server.origin, stack.sink, member);
		await admin.goto(`${stack.server.origin}/users?search=${member.username}`);
		await row().waitFor();
		expect(await row().textContent()).not.toContain('no code entered yet');
		await admin.goto(`${stack.server.origin}/users/${member.id}`);
		expect(await status.textContent()).toContain('2FA email confirmed');
	});

	it('runs without script errors or Content-Security-Policy violations', () => {
		expect(sessions.unexpectedProblems()).toEqual([]);
	});
});
