// Invitations end to end in Chromium against `node build`, mail read from a real SMTP server: an
// admin invites someone from /users/new, the invitee opens the mailed link, chooses a password,
// and signs in with it and the emailed code; with JavaScript and without.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { hasChromium, launchChromium } from '../helpers/browser';
import {
	BrowserSessions,
	enterCode,
	pathOf,
	signInThroughPages,
	submitPassword
} from '../helpers/browser-session';
import { waitForInvitation } from '../helpers/invitations';
import { seedUser, waitForCode } from '../../tools/sign-in';

const JS_ON_AND_OFF = [
	['with JavaScript', true],
	['without JavaScript', false]
] as const;

describe.runIf(hasChromium())('invitations in Chromium', () => {
	const stack = useAppStack('sqlite');
	let browser: Browser;
	let sessions: BrowserSessions;

	beforeAll(async () => {
		browser = await launchChromium();
		sessions = new BrowserSessions(browser, stack.server.origin);
	});
	afterAll(() => browser?.close());

	it.each(JS_ON_AND_OFF)(
		'%s: an admin invites, the invitee chooses a password and signs in with it and a code',
		async (label, javaScriptEnabled) => {
			const origin = stack.server.origin;
			const admin = await seedUser(stack.database.db, { role: 'admin' });
			const adminPage = await sessions.open({ javaScriptEnabled });
			await signInThroughPages(adminPage, origin, stack.sink, admin, { start: '/users/new' });
			expect(pathOf(adminPage)).toBe('/users/new');

			// The invitation is what the form offers first: nothing to choose, no password to type.
			const username = `invitee-${javaScriptEnabled ? 'js' : 'nojs'}`;
			const email = `${username}@example.org`;
			expect(
				await adminPage.getByRole('radio', { name: 'Send an invitation' }).isChecked(),
				'invite is the default'
			).toBe(true);
			expect(await adminPage.getByLabel('Password', { exact: true }).isVisible()).toBe(false);
			await adminPage.getByLabel('Username').fill(username);
			await adminPage.getByLabel('Email').fill(email);
			await adminPage.getByRole('button', { name: 'Create user' }).click();
			await adminPage.waitForURL((url) => /^\/users\/[a-z2-7]+$/.test(url.pathname));
			await adminPage.getByText(`Invitation sent to ${email}.`).waitFor();
			expect(await adminPage.getByTestId('invitation-status').textContent()).toMatch(
				/Invited; the link expires \d{4}-\d\d-\d\d \d\d:\d\d UTC\./
			);

			// The invitee, in a browser of their own, opens the link from the mail.
			const { url } = await waitForInvitation(stack.sink, email);
			expect(url.origin).toBe(origin);
			const invitee = await sessions.open({ javaScriptEnabled });
			const response = await invitee.goto(url.href);
			expect(response?.headers()['referrer-policy']).toBe('strict-origin');
			expect(response?.headers()['cache-control']).toBe('private, no-store');
			await invitee.getByRole('heading', { name: 'Choose your password' }).waitFor();
			expect(await invitee.getByText(`Welcome, ${username}.`).count()).toBe(1);

			const password = `${label} chosen password`;
			await invitee.getByLabel('New password').fill(password);
			await invitee.getByRole('button', { name: 'Set password' }).click();
			await invitee.waitForURL((next) => next.pathname === '/login');
			await invitee.getByText('Your password is set.').waitFor();
			expect(await invitee.getByLabel('Username or email').inputValue()).toBe(username);

			// Signing in as everyone does: the password, then the code sent to the proven address.
			await submitPassword(invitee, origin, { username, password });
			const { code } = await waitForCode(stack.sink, email);
			await enterCode(invitee, code);
			await invitee.waitForURL((next) => next.pathname === '/');
			await invitee.goto(`${origin}/account`);
			expect(await invitee.getByTestId('signed-in-as').textContent()).toContain(username);

			// The link was spent: opening it again says so.
			await invitee.goto(url.href);
			await invitee.getByRole('heading', { name: 'This link does not work' }).waitFor();

			// The admin's view: no invitation any more, the address confirmed.
			await adminPage.reload();
			expect(await adminPage.getByTestId('invitation-status').count()).toBe(0);
			await adminPage.getByText('2FA email confirmed').waitFor();
			expect(sessions.unexpectedProblems()).toEqual([]);
		}
	);

	it('without JavaScript, a password the rules refuse comes back with the message', async () => {
		const origin = stack.server.origin;
		const admin = await seedUser(stack.database.db, { role: 'admin' });
		const adminPage = await sessions.open({ javaScriptEnabled: false });
		await signInThroughPages(adminPage, origin, stack.sink, admin, { start: '/users/new' });
		const email = 'short-password@example.org';
		await adminPage.getByLabel('Username').fill('short-password');
		await adminPage.getByLabel('Email').fill(email);
		await adminPage.getByRole('button', { name: 'Create user' }).click();
		await adminPage.waitForURL((url) => /^\/users\/[a-z2-7]+$/.test(url.pathname));

		const { url } = await waitForInvitation(stack.sink, email);
		const invitee = await sessions.open({ javaScriptEnabled: false });
		await invitee.goto(url.href);
		// The browser's own length check would stop the form first; the server's is what counts.
		await invitee
			.getByLabel('New password')
			.evaluate((input) => input.removeAttribute('minlength'));
		await invitee.getByLabel('New password').fill('short');
		await invitee.getByRole('button', { name: 'Set password' }).click();
		await invitee.getByText(/At least \d+ characters/).waitFor();
		expect(new URL(invitee.url()).searchParams.get('token')).toBe(url.searchParams.get('token'));
		await invitee.getByRole('heading', { name: 'Choose your password' }).waitFor();
	});
});
