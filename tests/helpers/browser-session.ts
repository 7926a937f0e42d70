// Browser sessions for the admin UI tests: contexts with or without JavaScript and in a theme,
// every script error and console error collected, and users signed in through the pages with
// the code the app emailed to the SMTP sink.
import type { Kysely } from 'kysely';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { hashPassword } from '$lib/server/auth/password';
import { rememberDevice } from '$lib/server/auth/remembered-devices';
import { insertCredential } from '$lib/server/auth/webauthn-credentials';
import type { Database } from '$lib/server/db/schema';
import { recordAudit } from '$lib/server/db/audit-log';
import { SYSTEM_ACTOR } from '$lib/server/services/actor';
import { insertUser } from '$lib/server/services/users';
import { seedUser, TEST_PASSWORD, waitForCode, type SeededUser } from '../../tools/sign-in';
import type { SmtpSink } from '../../tools/smtp-sink';
import { testDeps } from '../../tools/service-deps';

export type Theme = 'light' | 'dark';

export interface ContextOptions {
	javaScriptEnabled?: boolean;
	/** Sets the `theme` cookie the server turns into the class on <html>. */
	theme?: Theme;
	viewport?: { width: number; height: number };
}

/** Fail at the step that hangs, well inside the test's own timeout. */
const STEP_TIMEOUT_MS = 8000;

/** Opens contexts on one browser and one app, and remembers every console problem they had. */
export class BrowserSessions {
	/** `<page url>: <message>` for each console error and uncaught script error. */
	readonly problems: string[] = [];
	private readonly contexts: BrowserContext[] = [];

	constructor(
		private readonly browser: Browser,
		readonly origin: string
	) {}

	/** A fresh context (its own cookies) with one page in it. */
	async open(options: ContextOptions = {}): Promise<Page> {
		const context = await this.browser.newContext({
			javaScriptEnabled: options.javaScriptEnabled ?? true,
			viewport: options.viewport ?? { width: 1280, height: 800 }
		});
		this.contexts.push(context);
		if (options.theme) await setTheme(context, this.origin, options.theme);
		const page = await context.newPage();
		page.setDefaultTimeout(STEP_TIMEOUT_MS);
		page.on('console', (message) => {
			if (message.type() === 'error') this.problems.push(`${page.url()}: ${message.text()}`);
		});
		page.on('pageerror', (error) => this.problems.push(`${page.url()}: ${error.message}`));
		return page;
	}

	/**
	 * The problems not explained by `expected`: an error page or a failed form post without
	 * JavaScript is served with its status, which Chromium logs as a failed resource load.
	 */
	unexpectedProblems(expected: RegExp[] = []): string[] {
		return this.problems.filter((problem) => !expected.some((pattern) => pattern.test(problem)));
	}

	async closeAll(): Promise<void> {
		await Promise.all(this.contexts.splice(0).map((context) => context.close()));
	}
}

/** A console line for a document served with `status` (an error page, a failed form post). */
export function failedLoad(status: number): RegExp {
	return new RegExp(`: Failed to load resource: .*status of ${status}\\b`);
}

export async function setTheme(
	context: BrowserContext,
	origin: string,
	theme: Theme
): Promise<void> {
	await context.addCookies([{ name: 'theme', value: theme, url: origin }]);
}

/** The color-scheme each theme gives <html> (app.css lifts the layout's data-theme to it). */
export const COLOR_SCHEMES: Record<Theme, string> = { light: 'light', dark: 'dark' };

/** The color-scheme <html> computes to: the theme the browser draws, whatever carries it. */
export function colorSchemeOf(page: Page): Promise<string> {
	return page.evaluate(() => getComputedStyle(document.documentElement).colorScheme);
}

/** The path of the page's current address (no query). */
export function pathOf(page: Page): string {
	return new URL(page.url()).pathname;
}

export interface SignInOptions {
	/** Where the sign-in starts, query included, exactly as typed into the address bar. */
	start?: string;
}

/** Username and password on /login, then the page that asks for the code. */
export async function submitPassword(
	page: Page,
	origin: string,
	user: Pick<SeededUser, 'username' | 'password'>,
	options: SignInOptions = {}
): Promise<void> {
	await page.goto(origin + (options.start ?? '/login'));
	await page.getByLabel('Username or email').fill(user.username);
	await page.getByLabel('Password').fill(user.password);
	await page.getByRole('button', { name: 'Continue' }).click();
	await page.waitForURL((url) => url.pathname === '/login/verify');
}

/** Types a code (or backup token) into the verify page and submits it. */
export async function enterCode(page: Page, code: string): Promise<void> {
	await page.locator('#code').fill(code);
	await page.getByRole('button', { name: 'Verify' }).click();
}

/**
 * Signs `user` in through the pages: password, then the code from the sink. Returns once the
 * browser has left the verify page (wherever `redirectTo` sent it).
 */
export async function signInThroughPages(
	page: Page,
	origin: string,
	sink: SmtpSink,
	user: SeededUser,
	options: SignInOptions = {}
): Promise<void> {
	await submitPassword(page, origin, user, options);
	const { code } = await waitForCode(sink, user.email!);
	await enterCode(page, code);
	await page.waitForURL((url) => url.pathname !== '/login/verify');
}

/** The pages an admin sees, each tab of a user's page on its own, named for file names. */
export function adminPages(subjectId: string): Array<{ name: string; path: string }> {
	const tabs = ['two-factor', 'sessions', 'backup-tokens', 'api-tokens', 'history'];
	return [
		{ name: 'dashboard', path: '/' },
		{ name: 'users', path: '/users' },
		{ name: 'users-new', path: '/users/new' },
		{ name: 'user-profile', path: `/users/${subjectId}` },
		...tabs.map((tab) => ({ name: `user-${tab}`, path: `/users/${subjectId}?tab=${tab}` })),
		{ name: 'sessions', path: '/sessions' },
		{ name: 'audit', path: '/audit' },
		{ name: 'account', path: '/account' },
		{ name: 'feature-flags', path: '/resources/feature-flags' }
	];
}

export interface Showcase {
	/** Signs in with TEST_PASSWORD and codes to its email. */
	admin: SeededUser;
	/** A member whose page the tabs are shown for. */
	subject: { id: string; username: string };
}

const DAY = 24 * 60 * 60 * 1000;

/**
 * Eight users in the states the pages show (admin, member, deactivated, locked) and two weeks
 * of sign-ins and failures, so that tables, badges and the chart have something in them.
 */
export async function seedShowcase(db: Kysely<Database>): Promise<Showcase> {
	const admin = await seedUser(db, { username: 'ada', role: 'admin' });
	// One hash for everyone else: argon2 is slow on purpose, and they never sign in here.
	const hash = await hashPassword(TEST_PASSWORD);
	const now = Date.now();
	const ids: Record<string, string> = {};
	const people: Array<[string, 'admin' | 'member']> = [
		['grace', 'member'],
		['linus', 'admin'],
		['margaret', 'member'],
		['alan', 'member'],
		['barbara', 'member'],
		['dennis', 'member'],
		['katherine', 'member']
	];
	for (const [index, [username, role]] of people.entries()) {
		const email = `${username}@example.com`;
		const createdAt = now - (index + 1) * 3 * DAY;
		ids[username] = await insertUser(
			testDeps(db),
			{ username, email, role },
			hash,
			SYSTEM_ACTOR,
			createdAt
		);
	}
	await db.updateTable('users').set({ is_active: 0 }).where('id', '=', ids.dennis!).execute();
	await db
		.updateTable('users')
		.set({ locked_at: now - DAY, otp_failures: 100 })
		.where('id', '=', ids.barbara!)
		.execute();
	await db
		.updateTable('users')
		.set({ otp_email_confirmed_at: now - 2 * DAY })
		.where('id', 'in', [admin.id, ids.grace!, ids.linus!, ids.margaret!])
		.execute();

	// A security key and a remembered browser, so the two-factor tab shows them and its reset.
	await insertCredential(
		db,
		ids.grace!,
		{
			name: 'YubiKey 5',
			credentialId: 'c2hvd2Nhc2Uta2V5LWdyYWNl',
			publicKey: new Uint8Array(77),
			counter: 0,
			transports: ['usb'],
			backupEligible: false,
			backedUp: false,
			userVerified: true
		},
		now - 5 * DAY
	);
	await rememberDevice(
		db,
		{ userId: ids.grace!, ip: '192.0.2.10', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' },
		30 * DAY,
		now - 2 * DAY
	);

	for (let day = 0; day < 14; day++) {
		const at = now - day * DAY - 3_600_000;
		const signIns = 2 + ((day * 7) % 5);
		for (let i = 0; i < signIns; i++) {
			const subjectId = ids[people[(day + i) % people.length]![0]]!;
			await recordAudit(db, { event: 'otp.verified', subjectId, ip: '192.0.2.10' }, at + i);
		}
		if (day % 3 === 0) {
			await recordAudit(
				db,
				{ event: 'login.failed', subjectId: ids.barbara!, ip: '198.51.100.7' },
				at
			);
		}
	}
	return { admin, subject: { id: ids.grace!, username: 'grace' } };
}

export interface ShowcasePages {
	/** No session: the login page. */
	visitor: Page;
	/** Password accepted, code not yet entered, on the verify page the login form led to. */
	pending: Page;
	/** The address of that verify page (masked email, expiry and resend times included). */
	verifyPath: string;
	/** The showcase admin, signed in. */
	admin: Page;
}

/** The three browsers that between them can open every page of the showcase. */
export async function openShowcasePages(
	sessions: BrowserSessions,
	sink: SmtpSink,
	showcase: Showcase
): Promise<ShowcasePages> {
	const visitor = await sessions.open();
	const pending = await sessions.open();
	await submitPassword(pending, sessions.origin, {
		username: showcase.subject.username,
		password: TEST_PASSWORD
	});
	const verifyPath = new URL(pending.url()).pathname + new URL(pending.url()).search;
	const admin = await sessions.open();
	await signInThroughPages(admin, sessions.origin, sink, showcase.admin);
	return { visitor, pending, verifyPath, admin };
}
