// Injection through what users type: addresses and names that would smuggle a recipient or a
// header into a mail, a sender with line breaks, and `redirectTo` values that would send a
// freshly signed-in browser to another site.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z, ZodError } from 'zod';
import { isLiveSetupToken, issueSetupToken } from '$lib/server/auth/setup-token';
import { ConfigError, loadConfig } from '$lib/server/config';
import { errorOf, useApiHarness, type Caller } from '../helpers/api-harness';
import { useAppStack } from '../helpers/app-stack';
import { dialects } from '../../tools/databases';
import { postForm } from '../helpers/form-post';
import { CookieJar, seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';
import type { CapturedMail } from '../../tools/smtp-sink';

/** Each would put a second recipient or a header into a mail if it reached one. */
const ODD_ADDRESSES: Array<[string, string]> = [
	['CR/LF and a Bcc header', 'a@x.com\r\nBcc: evil@x.com'],
	['LF and a Bcc header', 'a@x.com\nBcc: evil@x.com'],
	['CR and a Bcc header', 'a@x.com\rBcc: evil@x.com'],
	['a comma list', 'a@x.com, b@y.com'],
	['a semicolon list', 'a@x.com;b@y.com'],
	['a display name', '"Evil" <a@x.com>'],
	['angle brackets', '<a@x.com>'],
	['U+2028', 'a@x.com\u2028Bcc: evil@x.com'],
	['U+2029', 'a@x.com\u2029Bcc: evil@x.com'],
	['NUL', 'a@x.com\u0000Bcc: evil@x.com'],
	['percent-encoded CR/LF', 'a@x.com%0D%0ABcc:%20evil@x.com'],
	['a 65-character local part', `${'a'.repeat(65)}@x.com`]
];
const ATTACKS =
	'CR/LF, LF or CR + Bcc, a comma or semicolon list, a display name, <angle brackets>, ' +
	'U+2028/U+2029, NUL, %0D%0A, a 65-character local part';

const TSX = resolve('node_modules/.bin/tsx');
const CREATE_USER = resolve('scripts/create-user.ts');
const NEW_PASSWORD = 'a long enough password';

/** The call failed validation with a message on `field`. */
async function expectFieldError(call: Promise<unknown>, field: string, attack: string) {
	const error = await errorOf(call);
	expect(error.code, attack).toBe('BAD_REQUEST');
	expect(error.cause, attack).toBeInstanceOf(ZodError);
	expect(z.flattenError(error.cause as ZodError).fieldErrors, attack).toHaveProperty(field);
}

/** The header section of a captured message, unfolded, one header a line. */
function headerLines(mail: CapturedMail): string[] {
	const head = mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n'));
	return head.replace(/\r\n[ \t]+/g, ' ').split('\r\n');
}

describe.each(dialects)('odd addresses and names on %s', (dialect) => {
	const api = useApiHarness(dialect);
	let admin: SeededUser;
	let caller: Caller;

	beforeAll(async () => {
		admin = await seedUser(api.db, { role: 'admin' });
		// Just signed in with a code, so the step-up procedures are open too.
		caller = await api.callerFor(await api.signIn(admin));
	});

	/** Everything an accepted address or name would have changed. */
	async function snapshot() {
		const [users, changes, setupTokens] = await Promise.all([
			api.db
				.selectFrom('users')
				.select(['id', 'username', 'email', 'otp_email'])
				.orderBy('id')
				.execute(),
			api.db.selectFrom('otp_email_changes').selectAll().execute(),
			api.db.selectFrom('setup_tokens').selectAll().execute()
		]);
		return { users, changes, setupTokens, mails: api.sink.messages.length };
	}

	it(`users.create with an email of ${ATTACKS} [400 BAD_REQUEST on email; nothing stored]`, async () => {
		const before = await snapshot();
		for (const [attack, email] of ODD_ADDRESSES) {
			const input = { username: 'mallory', email, role: 'member' as const, password: NEW_PASSWORD };
			await expectFieldError(caller.users.create(input), 'email', attack);
		}
		expect(await snapshot()).toEqual(before);
	});

	it('users.create and users.updateProfile with the same values as usernames [400 BAD_REQUEST on username; nothing stored]', async () => {
		const member = await seedUser(api.db);
		const before = await snapshot();
		for (const [attack, username] of ODD_ADDRESSES) {
			const input = { username, email: 'mallory@example.com', password: NEW_PASSWORD };
			await expectFieldError(caller.users.create(input), 'username', attack);
			const profile = { id: member.id, username, email: member.email };
			await expectFieldError(caller.users.updateProfile(profile), 'username', attack);
		}
		expect(await snapshot()).toEqual(before);
	});

	it("users.updateProfile with an odd email [400 BAD_REQUEST on email; the user's email unchanged]", async () => {
		const member = await seedUser(api.db);
		const before = await snapshot();
		for (const [attack, email] of ODD_ADDRESSES) {
			const profile = { id: member.id, username: member.username, email };
			await expectFieldError(caller.users.updateProfile(profile), 'email', attack);
		}
		expect(await snapshot()).toEqual(before);
	});

	it('twoFactor.requestEmail and requestEmailFor with an odd address [400 BAD_REQUEST on email; no code mailed, no change pending]', async () => {
		const member = await seedUser(api.db);
		const before = await snapshot();
		for (const [attack, email] of ODD_ADDRESSES) {
			await expectFieldError(caller.twoFactor.requestEmail({ email }), 'email', attack);
			const forMember = caller.twoFactor.requestEmailFor({ userId: member.id, email });
			await expectFieldError(forMember, 'email', attack);
		}
		expect(await snapshot()).toEqual(before);
	});

	it('setup.complete with an odd email or username [400 BAD_REQUEST on the field; the link stays unspent]', async () => {
		const token = await issueSetupToken(api.db, 60_000);
		const anonymous = await api.callerFor(null);
		const before = await snapshot();
		for (const [attack, value] of ODD_ADDRESSES) {
			const admin = { token, username: 'root', email: 'root@example.com', password: NEW_PASSWORD };
			await expectFieldError(anonymous.setup.complete({ ...admin, email: value }), 'email', attack);
			const asName = anonymous.setup.complete({ ...admin, username: value });
			await expectFieldError(asName, 'username', attack);
		}
		expect(await snapshot()).toEqual(before);
		expect(await isLiveSetupToken(api.db, token)).toBe(true);
	});

	it('auth.login with an odd address or name as the username [401 UNAUTHORIZED like any unknown name; no mail]', async () => {
		const anonymous = await api.callerFor(null, { ip: '198.51.100.20' });
		const before = await snapshot();
		for (const [attack, username] of ODD_ADDRESSES) {
			const error = await errorOf(anonymous.auth.login({ username, password: NEW_PASSWORD }));
			expect(error.code, attack).toBe('UNAUTHORIZED');
		}
		expect(await snapshot()).toEqual(before);
	});

	it('npm run create-user --email with CR/LF and a Bcc header [exit 1 with the field message; no user]', async () => {
		// One run only: a tsx process takes seconds here, and the schema is the one tested above.
		const before = await snapshot();
		const args = ['mallory', '--email', 'a@x.com\r\nBcc: evil@x.com', '--password-stdin'];
		const result = spawnSync(TSX, [CREATE_USER, ...args], {
			env: { ...process.env, DATABASE_URL: api.database.url, NODE_ENV: 'development' },
			encoding: 'utf8',
			input: `${NEW_PASSWORD}\n`
		});
		expect(result.status, result.stderr).toBe(1);
		expect(result.stderr).toContain('email: A valid email address');
		expect(result.stdout + result.stderr).not.toContain('evil@x.com');
		expect(await snapshot()).toEqual(before);
	});

	it('an accepted address with odd but legal characters and a trailing CR/LF gets a sign-in code [stored trimmed; one recipient; no injected header]', async () => {
		const typed = "O'Brien+Tag@Example.com\r\n";
		const stored = "o'brien+tag@example.com";
		const password = NEW_PASSWORD;
		const { id } = await caller.users.create({ username: 'obrien', email: typed, password });
		const row = await api.db
			.selectFrom('users')
			.select('email')
			.where('id', '=', id)
			.executeTakeFirstOrThrow();
		expect(row.email).toBe(stored);

		await api.login({ username: 'obrien', email: stored, password });
		const { mail } = await waitForCode(api.sink, stored);
		expect(mail.envelopeTo).toEqual([stored]);
		expect(mail.to).toBe(stored);
		const names = headerLines(mail).map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
		expect(names.filter((name) => name === 'to')).toHaveLength(1);
		expect(names).not.toContain('bcc');
		expect(names).not.toContain('cc');
	});

	it('a two-factor address change to an accepted address [the code goes to that one recipient, no injected header]', async () => {
		const target = 'second.factor@example.org';
		await caller.twoFactor.requestEmail({ email: ` ${target.toUpperCase()}\n` });
		const mail = await api.sink.waitForMessage((m) => m.envelopeTo.includes(target));
		expect(mail.envelopeTo).toEqual([target]);
		const names = headerLines(mail).map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
		expect(names.filter((name) => name === 'to')).toHaveLength(1);
		expect(names).not.toContain('bcc');
	});
});

describe('MAIL_FROM', () => {
	it.each([
		['CR/LF', 'Admin <admin@example.com>\r\nBcc: evil@x.com'],
		['LF', 'Admin <admin@example.com>\nBcc: evil@x.com'],
		['CR', 'Admin <admin@example.com>\rBcc: evil@x.com']
	])('with %s and a Bcc header [refused by the configuration at start]', (_attack, from) => {
		const problems = (() => {
			try {
				loadConfig({ MAIL_FROM: from, AUTH_SECRET: 'x'.repeat(32) });
				return [];
			} catch (error) {
				if (error instanceof ConfigError) return error.problems;
				throw error;
			}
		})();
		expect(problems).toEqual(['MAIL_FROM: must not contain line breaks']);
	});
});

/** Where a `redirectTo` may send a browser after the code step, as the attacker types it. */
const OFF_SITE_REDIRECTS = [
	'https://evil.example',
	'//evil.example',
	'/\\evil.example',
	'\\/evil.example',
	'%2F%2Fevil.example',
	'/%2F/evil.example',
	'/%5Cevil.example',
	'javascript:alert(1)',
	'  //evil.example',
	'/\t/evil.example',
	'http:evil.example',
	'data:text/html,x'
];

describe.each(dialects)('redirectTo through a sign-in without JavaScript on %s', (dialect) => {
	const stack = useAppStack(dialect);

	/** Password form, then the code form; returns where the code step sends the browser. */
	async function signInWithRedirect(redirectTo: string): Promise<string> {
		const user = await seedUser(stack.database.db);
		const jar = new CookieJar();
		const login = await postForm(
			stack.server.origin,
			`/login?redirectTo=${encodeURIComponent(redirectTo)}`,
			{ username: user.username, password: user.password },
			{ jar }
		);
		expect(login.status).toBe(303);
		// The password step never follows redirectTo; it only carries it to the code step.
		const codePage = new URL(login.headers.get('location')!, stack.server.origin);
		expect(codePage.origin + codePage.pathname).toBe(`${stack.server.origin}/login/verify`);
		expect(codePage.searchParams.get('redirectTo')).toBe(redirectTo);

		const { code } = await waitForCode(stack.sink, user.email!);
		const verify = await postForm(
			stack.server.origin,
			`/login/verify?/verify&${codePage.searchParams}`,
			{ code },
			{ jar }
		);
		expect(verify.status).toBe(303);
		return verify.headers.get('location')!;
	}

	it('redirectTo of https://evil, //evil, /\\evil, \\/evil, %2F%2Fevil, /%2F/evil, /%5Cevil, javascript:, data:, http:evil, leading spaces, a tab [the code step lands on /]', async () => {
		for (const redirectTo of OFF_SITE_REDIRECTS) {
			const location = await signInWithRedirect(redirectTo);
			expect(location, redirectTo).toBe('/');
		}
	});

	it('redirectTo=/users?page=2 [kept: the code step lands there]', async () => {
		expect(await signInWithRedirect('/users?page=2')).toBe('/users?page=2');
	});
});
