// Screenshots of every page in both themes, served by the production server with eight users and
// two weeks of sign-ins: test artifacts under test-results/screenshots/, and the two the README
// shows. Tests never change tracked files: the README's pictures go to docs/screenshots only
// when `npm run screenshots` asks for it (SCREENSHOTS_DIR=docs/screenshots).
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { CHROMIUM_PATH, hasChromium, launchChromium } from '../helpers/browser';
import {
	adminPages,
	BrowserSessions,
	colorSchemeOf,
	COLOR_SCHEMES,
	openShowcasePages,
	seedShowcase,
	setTheme,
	type Showcase,
	type ShowcasePages,
	type Theme
} from '../helpers/browser-session';

const ARTIFACTS = 'test-results/screenshots';
const DOCS = 'docs/screenshots';
/** Where the README's two pictures go: an ignored folder unless the refresh script says DOCS. */
const README_SHOTS = process.env.SCREENSHOTS_DIR || join(ARTIFACTS, 'readme');
const THEMES: Theme[] = ['light', 'dark'];

// The refresh script must not skip quietly and leave the README's pictures as they were.
if (process.env.SCREENSHOTS_DIR && !hasChromium()) {
	throw new Error(`npm run screenshots needs Chromium at ${CHROMIUM_PATH}`);
}

/** Each tracked picture's modification time, to show a run left them alone. */
function docsPictureTimes(): Record<string, number> {
	return Object.fromEntries(
		readdirSync(DOCS).map((file) => [file, statSync(join(DOCS, file)).mtimeMs])
	);
}

// scripts/test.js fails the run under CI when Chromium is missing; locally it warns.
describe.runIf(hasChromium())('screenshots of every page', () => {
	const stack = useAppStack('sqlite');
	let browser: Browser;
	let sessions: BrowserSessions;
	let showcase: Showcase;
	let pages: ShowcasePages;
	const docsBefore = docsPictureTimes();

	beforeAll(async () => {
		mkdirSync(ARTIFACTS, { recursive: true });
		mkdirSync(README_SHOTS, { recursive: true });
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
		expect(await colorSchemeOf(page), 'the theme reached <html>').toBe(COLOR_SCHEMES[theme]);
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
			await shoot(pages.admin, join(README_SHOTS, 'users-light.png'), false);
		});

		it('the verify page', async () => {
			await show(pages.pending, 'light', pages.verifyPath);
			await shoot(pages.pending, join(README_SHOTS, 'verify-light.png'), false);
		});

		it.skipIf(process.env.SCREENSHOTS_DIR)(
			'leave the tracked pictures in docs/screenshots untouched without SCREENSHOTS_DIR',
			() => {
				expect(docsPictureTimes()).toEqual(docsBefore);
			}
		);
	});

	it('runs without script errors or Content-Security-Policy violations', () => {
		expect(sessions.unexpectedProblems()).toEqual([]);
	});
});
