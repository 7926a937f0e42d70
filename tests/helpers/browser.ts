// Debian's Chromium driven by playwright-core (no browser download is possible here).
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function hasChromium(): boolean {
	return existsSync(CHROMIUM_PATH);
}

export function launchChromium(): Promise<Browser> {
	return chromium.launch({
		executablePath: CHROMIUM_PATH,
		headless: true,
		// The machine has no network beyond loopback: keep Chromium from phoning home.
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync'
		]
	});
}

/**
 * A page whose browser holds a virtual security key (the DevTools protocol's WebAuthn domain): a
 * USB key that verifies its user (a PIN) and answers every prompt at once. `problems` collects
 * script errors and CSP violations (Chromium reports both as console errors).
 */
export async function pageWithVirtualKey(
	browser: Browser
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
	const context = await browser.newContext();
	const page = await context.newPage();
	const problems: string[] = [];
	page.setDefaultTimeout(8000);
	page.on('console', (message) => {
		if (message.type() === 'error') problems.push(`${page.url()}: ${message.text()}`);
	});
	page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
	const cdp = await context.newCDPSession(page);
	await cdp.send('WebAuthn.enable');
	await cdp.send('WebAuthn.addVirtualAuthenticator', {
		options: {
			protocol: 'ctap2',
			transport: 'usb',
			hasResidentKey: true,
			hasUserVerification: true,
			isUserVerified: true
		}
	});
	return { context, page, problems };
}
