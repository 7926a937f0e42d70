// Screenshots of every page in both themes, served by `node build` with eight users and two weeks
// of sign-ins: test artifacts under test-results/screenshots/, and the two the README shows.
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { hasChromium, launchChromium } from '../helpers/browser';
import {
	adminPages,
	BrowserSessions,
	openShowcasePages,
	seedShowcase,
	setTheme,
	type Showcase,
	type ShowcasePages,
	type Theme
} from '../helpers/browser-session';

const ARTIFACTS = 'test-results/screenshots';
const DOCS = 'docs/screenshots';
const THEMES: Theme[] = ['light', 'dark'];

// scripts/test.js fails the run under CI when Chromium is missing; locally it warns.
describe.runIf(hasChromium())('screenshots of every page', () => {
	const stack = useAppStack('sqlite');
	let browser: Browser;
	let sessions: BrowserSessions;
	let showcase: Showcase;
	let pages: ShowcasePages;

	beforeAll(async () => {
		mkdirSync(ARTIFACTS, { recursive: true });
		mkdirSync(DOCS, { recursive: true });
		browser = await launchChromium();
		sessions = new BrowserSessions(browser, stack.server.origin);
		showcase = await seedShowcase(stack.database.db);
		pages = await openShowcasePages(sessions, stack.sink, showcase);
	});
	afterAll(() => browser?.close());

	/** Opens `path` in `theme`, settled (the browser's own fetches done), ready to be shot. */
	async function show(page: Page, theme: Theme, path: string): Promise<void> {
		await setTheme(page.context(), stack.server.origin, theme);
		const response = await page.goto(stack.server.origin + path, { waitUntil: 'networkidle' });
		expect(response?.status(), `${path} loads`).toBe(200);
		expect(await page.locator('html').getAttribute('class')).toContain(theme);
	}

	async function shoot(page: Page, file: string, fullPage: boolean): Promise<void> {
		await page.screenshot({ path: file, fullPage, animations: 'disabled', caret: 'hide' });
		expect(statSync(file).size, `${file} was written`).toBeGreaterThan(5000);
	}

	describe.each(THEMES)('in the %s theme', (theme) => {
		it('login', async () => {
			await show(pages.visitor, theme, '/login');
			await shoot(pages.visitor, join(ARTIFACTS, `${theme}-login.png`), true);
		});

		it('verify', async () => {
			await show(pages.pending, theme, pages.verifyPath);
			await shoot(pages.pending, join(ARTIFACTS, `${theme}-verify.png`), true);
		});

		it.each(adminPages('<id>'))('$name', async ({ name, path }) => {
			await show(pages.admin, theme, path.replace('<id>', showcase.subject.id));
			await shoot(pages.admin, join(ARTIFACTS, `${theme}-${name}.png`), true);
		});
	});

	describe('the README screenshots (1280x800, light)', () => {
		it('the users page with the eight seeded users', async () => {
			await show(pages.admin, 'light', '/users');
			expect(await pages.admin.locator('tbody tr').count()).toBe(8);
			await shoot(pages.admin, join(DOCS, 'users-light.png'), false);
		});

		it('the verify page', async () => {
			await show(pages.pending, 'light', pages.verifyPath);
			await shoot(pages.pending, join(DOCS, 'verify-light.png'), false);
		});
	});

	it('runs without script errors or Content-Security-Policy violations', () => {
		expect(sessions.unexpectedProblems()).toEqual([]);
	});
});
