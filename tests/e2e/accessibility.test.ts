// axe-core on every page of the admin, in the light and the dark theme, served by `node build`
// with real data in the tables: no violation of serious or critical impact.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { axeViolations, describeViolations } from '../helpers/axe';
import { hasChromium, launchChromium } from '../helpers/browser';
import {
	adminPages,
	BrowserSessions,
	colorSchemeOf,
	COLOR_SCHEMES,
	pathOf,
	openShowcasePages,
	seedShowcase,
	setTheme,
	type Showcase,
	type ShowcasePages,
	type Theme
} from '../helpers/browser-session';

const THEMES: Theme[] = ['light', 'dark'];

// scripts/test.js fails the run under CI when Chromium is missing; locally it warns.
describe.runIf(hasChromium())('accessibility of every page (axe-core)', () => {
	const stack = useAppStack('sqlite');
	let browser: Browser;
	let sessions: BrowserSessions;
	let showcase: Showcase;
	let pages: ShowcasePages;

	beforeAll(async () => {
		browser = await launchChromium();
		sessions = new BrowserSessions(browser, stack.server.origin);
		showcase = await seedShowcase(stack.database.db);

		pages = await openShowcasePages(sessions, stack.sink, showcase);
	});
	afterAll(() => browser?.close());

	/** Opens `path` in `theme` and checks the server applied it, then runs axe. */
	async function check(page: Page, theme: Theme, path: string): Promise<void> {
		await setTheme(page.context(), stack.server.origin, theme);
		const response = await page.goto(stack.server.origin + path);
		expect(response?.status(), `${path} loads`).toBe(200);
		expect(pathOf(page), `${path} is not redirected`).toBe(path.split('?')[0]);
		expect(await colorSchemeOf(page), 'the theme reached <html>').toBe(COLOR_SCHEMES[theme]);
		const violations = await axeViolations(page);
		expect(violations, describeViolations(violations)).toEqual([]);
	}

	describe.each(THEMES)('in the %s theme', (theme) => {
		it('/login', () => check(pages.visitor, theme, '/login'));

		it('/login/verify', () => check(pages.pending, theme, pages.verifyPath));

		// Named with a placeholder: the user's id exists only once beforeAll has seeded them.
		it.each(adminPages('<id>').map(({ path }) => path))('%s', (path) =>
			check(pages.admin, theme, path.replace('<id>', showcase.subject.id))
		);
	});

	it('runs without script errors or Content-Security-Policy violations', () => {
		expect(sessions.unexpectedProblems()).toEqual([]);
	});
});
