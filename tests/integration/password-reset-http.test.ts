// "Forgot password" through the pages' forms on the production build, as a browser without
// JavaScript posts them (both databases): the same answer for every name, the mailed link, the
// emailed code step of an email-only account, the new password; and an administrator's
// "Email a reset link" on the user's page.
import { describe, expect, it } from 'vitest';
import { postForm } from '../helpers/form-post';
import { signInOverHttp } from '../helpers/http-sign-in';
import { RESET_DONE_SUBJECT, waitForResetLink } from '../helpers/password-reset';
import { useAppStack } from '../helpers/app-stack';
import { dialects } from '../../tools/databases';
import { seedUser, waitForCode } from '../../tools/sign-in';

const NEW_PASSWORD = 'a brand new long password';

describe.each(dialects)('password reset over HTTP forms (%s)', (dialect) => {
	const stack = useAppStack(dialect);

	it('the sign-in page links to /login/forgot', async () => {
		const body = await (await fetch(`${stack.server.origin}/login`)).text();
		expect(body).toContain('href="/login/forgot"');
	});

	it('answers a known and an unknown name alike: same status, same redirect, same page', async () => {
		const user = await seedUser(stack.database.db);
		const origin = stack.server.origin;
		const known = await postForm(origin, '/login/forgot', { login: user.username });
		const unknown = await postForm(origin, '/login/forgot', { login: 'nobody-at-all' });
		for (const response of [known, unknown]) {
			expect(response.status).toBe(303);
			expect(response.headers.get('location')).toBe('/login/forgot?sent=1');
		}
		expect(await known.text()).toBe(await unknown.text());
		const page = await (await fetch(`${origin}/login/forgot?sent=1`)).text();
		expect(page).toContain('If an account has that username or email');
		await waitForResetLink(stack.sink, user.email!);
	});

	it('an email-only account: link, emailed code, new password, then signs in with it', async () => {
		const user = await seedUser(stack.database.db);
		const origin = stack.server.origin;
		const session = await signInOverHttp(origin, stack.sink, user, { transport: 'bearer' });
		await postForm(origin, '/login/forgot', { login: user.email! });
		const { url, token } = await waitForResetLink(stack.sink, user.email!);
		expect(url).toBe(`${origin}/login/reset/${token}`);

		const page = await fetch(url);
		expect(page.status).toBe(200);
		expect(page.headers.get('referrer-policy')).toBe('same-origin');
		expect(await page.text()).toContain('Email me a code');

		const path = `/login/reset/${token}`;
		const sent = await postForm(origin, `${path}?/sendCode&method=email`, {});
		expect(sent.status).toBe(303);
		const next = sent.headers.get('location')!;
		expect(next).toMatch(new RegExp(`^${path}\\?method=email&expires=\\d+&resend=\\d+$`));
		const { code } = await waitForCode(stack.sink, user.email!);

		// Two different passwords: refused before anything is checked or spent.
		const mismatch = await postForm(origin, `${path}?/complete&method=email`, {
			code,
			password: NEW_PASSWORD,
			confirm: `${NEW_PASSWORD}!`
		});
		expect(mismatch.status).toBe(400);
		expect(await mismatch.text()).toContain('The two passwords are not the same');

		const done = await postForm(origin, `${path}?/complete&method=email`, {
			code,
			password: NEW_PASSWORD,
			confirm: NEW_PASSWORD
		});
		expect(done.status).toBe(303);
		expect(done.headers.get('location')).toBe('/login?reset=1');
		await stack.sink.waitForMessage(
			(m) => m.subject === RESET_DONE_SUBJECT && m.envelopeTo.includes(user.email!)
		);

		// The earlier session ended; the link is spent; the new password signs in.
		const me = await fetch(`${origin}/trpc/auth.me`, {
			headers: { authorization: `Bearer ${session.token}` }
		});
		expect(await me.text()).toContain('"json":null');
		expect(await (await fetch(url)).text()).toContain('This password reset link is not valid');
		await signInOverHttp(
			origin,
			stack.sink,
			{ ...user, password: NEW_PASSWORD },
			{
				transport: 'cookie'
			}
		);
	});

	it("an administrator emails a user a reset link from the user's page", async () => {
		const admin = await seedUser(stack.database.db, { role: 'admin' });
		const user = await seedUser(stack.database.db);
		const origin = stack.server.origin;
		const { jar } = await signInOverHttp(origin, stack.sink, admin, { transport: 'cookie' });
		const page = await (
			await fetch(`${origin}/users/${user.id}`, { headers: { cookie: jar.header()! } })
		).text();
		expect(page).toContain('Email a reset link');
		const sent = await postForm(
			origin,
			`/users/${user.id}?tab=profile&/sendPasswordReset`,
			{},
			{
				jar
			}
		);
		expect(sent.status).toBe(200);
		expect(await sent.text()).toContain('Reset link sent');
		const { mail } = await waitForResetLink(stack.sink, user.email!);
		expect(mail.text).toContain('An administrator sent you this link');
	});
});
