// Attacks on security keys in Chromium against `node build`, the key being the DevTools protocol's
// virtual authenticator (tests/security/webauthn.test.ts makes the same attacks at the procedures
// with a software key that can be made to lie; here the browser makes the answers):
// - a replayed answer: the browser's own answer, captured from its form post, sent again for a
//   new pending sign-in, and a step-up's answer sent again in the same session;
// - a wrong origin: the app reached through a phishing relay at another origin.
// Each is refused with its message, counted in the account's second-step budget, and promotes or
// refreshes nothing; the same browser and key then succeed the honest way.
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { hasChromium, launchChromium, pageWithVirtualKey } from '../helpers/browser';
import { signInThroughPages, submitPassword } from '../helpers/browser-session';
import { startRelayProxy, type RelayProxy } from '../helpers/relay-proxy';
import { failuresOf } from '../helpers/security-keys';
import { seedUser, type SeededUser } from '../../tools/sign-in';

const REFUSED = {
	challenge: 'This security key request expired or was already used: try again',
	assertion: 'The security key’s answer did not verify (wrong site or signature)'
};

describe.runIf(hasChromium())('security key attacks in Chromium (virtual authenticator)', () => {
	// ORIGIN is http://localhost:<port>: the RP ID is `localhost` (browsers refuse an IP address).
	const stack = useAppStack('sqlite', {}, { originHost: 'localhost' });
	let browser: Browser;
	let page: Page;
	let user: SeededUser;
	let relay: RelayProxy;
	let problems: string[];

	beforeAll(async () => {
		browser = await launchChromium();
		({ page, problems } = await pageWithVirtualKey(browser));
		relay = await startRelayProxy(origin());

		// The key, registered the ordinary way (the emailed code gave a fresh step-up).
		user = await seedUser(stack.database.db, { role: 'admin' });
		await signInThroughPages(page, origin(), stack.sink, user, { start: '/account' });
		await page.getByLabel('Name for the new key').fill('Virtual key');
		await page.getByRole('button', { name: 'Add a security key' }).click();
		await page.getByText('Security key “Virtual key” added').waitFor();
		await signOut();
	});
	afterAll(async () => {
		await browser?.close();
		await relay?.close();
	});

	const origin = () => stack.server.origin;

	async function signOut(): Promise<void> {
		await page.goto(origin() + '/account');
		await page.getByRole('button', { name: 'Sign out' }).first().click();
		await page.waitForURL((url) => url.pathname === '/login');
	}

	/** The next POST to the form action `name` (`?/name`) the page sends. */
	function nextPostTo(name: string): Promise<Request> {
		return page.waitForRequest(
			(request) =>
				request.method() === 'POST' &&
				[...new URL(request.url()).searchParams.keys()].includes(`/${name}`)
		);
	}

	/** The key's answer a captured form post carried (its `response` field, as the page sent it). */
	async function answerIn(request: Request): Promise<string> {
		const body = new Uint8Array(request.postDataBuffer()!);
		const type = (await request.headerValue('content-type'))!;
		const form = await new Response(body, { headers: { 'content-type': type } }).formData();
		return String(form.get('response'));
	}

	/** Sends `answer` through the page's own hidden answer form (the one the key's script fills). */
	async function submitAnswer(formSelector: string, answer: string): Promise<void> {
		await page.locator(formSelector).evaluate((form, value) => {
			const field = (form as HTMLFormElement).elements.namedItem('response') as HTMLInputElement;
			field.value = value;
			(form as HTMLFormElement).requestSubmit();
		}, answer);
	}

	const sessionCount = async (state: 'pending_otp' | 'verified') =>
		(
			await stack.database.db
				.selectFrom('sessions')
				.select('id')
				.where('user_id', '=', user.id)
				.where('state', '=', state)
				.execute()
		).length;

	const auditCount = async (event: string) =>
		(
			await stack.database.db
				.selectFrom('audit_log')
				.select('id')
				.where('subject_id', '=', user.id)
				.where('event', '=', event)
				.where('details', '=', 'webauthn')
				.execute()
		).length;

	const keyCounter = async () =>
		Number(
			(
				await stack.database.db
					.selectFrom('webauthn_credentials')
					.select('counter')
					.where('user_id', '=', user.id)
					.executeTakeFirstOrThrow()
			).counter
		);

	/** What a refused answer at sign-in must leave as it was, or count once. */
	const signInFigures = async () => ({
		verified: await sessionCount('verified'),
		failures: await failuresOf(stack.database.db, user.id),
		failed: await auditCount('otp.failed'),
		counter: await keyCounter()
	});

	/**
	 * A refused key answer at sign-in: still on the verify page, nothing promoted, the pending
	 * sign-in kept, one failure counted and audited, the key's counter where it was.
	 */
	async function expectRefusedSignIn(
		before: Awaited<ReturnType<typeof signInFigures>>
	): Promise<void> {
		expect(new URL(page.url()).pathname).toBe('/login/verify');
		expect(await sessionCount('verified'), 'no session was promoted').toBe(before.verified);
		expect(await sessionCount('pending_otp')).toBe(1);
		expect(await failuresOf(stack.database.db, user.id)).toBe(before.failures + 1);
		expect(await auditCount('otp.failed')).toBe(before.failed + 1);
		expect(await keyCounter(), "the key's counter did not move").toBe(before.counter);
	}

	it('a sign-in answer replayed for a new pending sign-in is refused and counted; that sign-in still takes its own', async () => {
		// A real sign-in with the key, its answer captured on the way to the server.
		await submitPassword(page, origin(), user);
		const posted = nextPostTo('securityKeyVerify');
		await page.getByRole('button', { name: 'Use your security key' }).click();
		const answer = await answerIn(await posted);
		await page.waitForURL((url) => url.pathname !== '/login/verify');
		await signOut();

		// A new pending sign-in (the password again), and the old answer sent through its page.
		await submitPassword(page, origin(), user);
		const before = await signInFigures();
		await submitAnswer('#security-key-answer', answer);
		const keyBox = page.getByTestId('security-key-sign-in');
		await keyBox.getByText(REFUSED.challenge).waitFor();
		await expectRefusedSignIn(before);

		// The same pending sign-in, with an answer to its own challenge: in.
		await page.getByRole('button', { name: 'Use your security key' }).click();
		await page.waitForURL((url) => url.pathname !== '/login/verify');
		expect(await sessionCount('verified')).toBe(before.verified + 1);
		expect(await sessionCount('pending_otp')).toBe(0);
	});

	it('a step-up answer replayed in the same session is refused and counted; the step-up is not refreshed', async () => {
		/** Makes the step-up run out (ten minutes without a code) and asks for it with a rename. */
		async function askStepUp(): Promise<void> {
			await stack.database.db
				.updateTable('sessions')
				.set({ verified_at: Date.now() - 11 * 60_000 })
				.where('user_id', '=', user.id)
				.execute();
			await page.goto(origin() + '/account');
			await page.getByText('Rename', { exact: true }).click();
			await page.getByLabel('New name for Virtual key').fill('Renamed key');
			await page.getByRole('button', { name: 'Save' }).click();
			await page.getByTestId('step-up').waitFor();
		}
		const stepUpAt = async () =>
			(
				await stack.database.db
					.selectFrom('sessions')
					.select('verified_at')
					.where('user_id', '=', user.id)
					.where('state', '=', 'verified')
					.executeTakeFirstOrThrow()
			).verified_at;

		await askStepUp();
		const posted = nextPostTo('stepUpKeyVerify');
		await page.getByRole('button', { name: 'Use a security key' }).click();
		const answer = await answerIn(await posted);
		await page.getByText('Confirmed. You can make sensitive changes').waitFor();

		// The step-up runs out again; the same answer is sent again, in the same session.
		await askStepUp();
		const before = await stepUpAt();
		const failures = await failuresOf(stack.database.db, user.id);
		const failed = await auditCount('step_up.failed');
		const counter = await keyCounter();
		await submitAnswer('form[action*="/stepUpKeyVerify"]', answer);
		await page.getByText(REFUSED.challenge).waitFor();
		expect(await stepUpAt(), 'the step-up was not refreshed').toBe(before);
		expect(await failuresOf(stack.database.db, user.id)).toBe(failures + 1);
		expect(await auditCount('step_up.failed')).toBe(failed + 1);
		expect(await keyCounter(), "the key's counter did not move").toBe(counter);
		expect(await page.getByTestId('step-up').count(), 'the step-up is still asked').toBe(1);

		// A fresh answer from the key confirms.
		await page.getByRole('button', { name: 'Use a security key' }).click();
		await page.getByText('Confirmed. You can make sensitive changes').waitFor();
		expect(await stepUpAt()).toBeGreaterThan(before!);
	});

	// The wrong origin. A page at another origin whose RP ID is still `localhost`: the relay at
	// http://localhost:<another port>. Browsers scope RP IDs by host, not port, so Chromium lets
	// that page ask the key, and the key signs, and its clientDataJSON names the relay's origin.
	// The relay rewrites Origin and Host on the way to the app (as a phishing relay would), so the
	// CSRF checks let its requests through, and the password step works through it: the origin the
	// key signed is the one thing it cannot change. (Another host name, 127.0.0.1 say, would be a
	// different RP ID: the browser itself would refuse to ask the key, and the server would never
	// see an answer.)
	it('an answer made on another origin (a phishing relay to the app) is refused and counted; the same sign-in then succeeds on the app', async () => {
		await signOut();
		expect(relay.origin).not.toBe(origin());
		expect(new URL(relay.origin).hostname).toBe(new URL(origin()).hostname);

		await submitPassword(page, relay.origin, user);
		expect(new URL(page.url()).origin, 'the password step went through the relay').toBe(
			relay.origin
		);
		const before = await signInFigures();
		const posted = nextPostTo('securityKeyVerify');
		await page.getByRole('button', { name: 'Use your security key' }).click();
		const answer = JSON.parse(await answerIn(await posted)) as {
			response: { clientDataJSON: string };
		};
		const clientData = JSON.parse(
			Buffer.from(answer.response.clientDataJSON, 'base64url').toString('utf8')
		) as { origin: string; type: string };
		expect(clientData, 'the key signed for the relay').toMatchObject({
			type: 'webauthn.get',
			origin: relay.origin
		});

		await page.getByTestId('security-key-sign-in').getByText(REFUSED.assertion).waitFor();
		await expectRefusedSignIn(before);

		// The same pending sign-in (its cookie is the host's, whatever the port) on the app itself.
		await page.goto(origin() + '/login/verify');
		await page.getByRole('button', { name: 'Use your security key' }).click();
		await page.waitForURL((url) => url.pathname !== '/login/verify');
		expect(new URL(page.url()).origin).toBe(origin());
		expect(await sessionCount('verified')).toBe(before.verified + 1);
	});

	it('runs without script errors or Content-Security-Policy violations', () => {
		expect(problems).toEqual([]);
	});
});
