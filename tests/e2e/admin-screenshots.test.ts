// Screenshots of every page in both themes, served by `node build` with eight users and two weeks
// of sign-ins: test artifacts under test-results/screenshots/, and the two the README shows.
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type AppServer } from '../helpers/app-server';
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
import { createMigratedDatabase, type TestDatabase } from '../helpers/databases';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink';

const ARTIFACTS = 'test-results/screenshots';
const DOCS = 'docs/screenshots';
const THEMES: Theme[] = ['light', 'dark'];

// scripts/test.js fails the run under CI when Chromium is missing; locally it warns.
describe.runIf(hasChromium())('screenshots of every page', () => {
	let database: TestDatabase;
	let sink: SmtpSink;
	let server: AppServer;
	let browser: Browser;
	let sessions: BrowserSessions;
	let showcase: Showcase;
	let pages: ShowcasePages;

	beforeAll(async () => {
		mkdirSync(ARTIFACTS, { recursive: true });
		mkdirSync(DOCS, { recursive: true });
		database = await createMigratedDatabase('sqlite');
		sink = await startSmtpSink();
		server = await startAppServer({
			DATABASE_URL: database.url,
			MAIL_TRANSPORT: 'smtp',
			SMTP_URL: sink.url
		});
		browser = await launchChromium();
		sessions = new BrowserSessions(browser, server.origin);
		showcase = await seedShowcase(database.db);
		pages = await openShowcasePages(sessions, sink, showcase);
	});
	afterAll(async () => {
		await browser?.close();
		// The sink first: it closes the app's pooled SMTP connection, which would otherwise keep
		// `node build` alive for up to 10 s after SIGTERM.
		await sink?.stop();
		await server?.stop();
		await database?.drop();
	});

	/** Opens `path` in `theme`, settled (the browser's own fetches done), ready to be shot. */
	async function show(page: Page, theme: Theme, path: string): Promise<void> {
		await setTheme(page.context(), server.origin, theme);
		const response = await page.goto(server.origin + path, { waitUntil: 'networkidle' });
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
