// The two-step sign-in against the production build (`node build`) over plain HTTP, with mail
// going through a real SMTP server: what any non-browser client of the API sees.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type AppServer } from '../../tools/app-server';
import { useAppStack } from '../helpers/app-stack';
import { dialects } from '../../tools/databases';
import {
	CookieJar,
	isCookieRemoval,
	seedUser,
	trpcMutation,
	trpcQuery,
	waitForCode,
	type SeededUser,
	type SetCookie,
	type TrpcReply
} from '../../tools/sign-in';
import { startSmtpSink, unusedPort, type SmtpSink } from '../../tools/smtp-sink';

interface LoginResult {
	status: 'otp_required';
	methods: string[];
	email: string | null;
	codeSent: boolean;
	expiresAt: Date | null;
	resendAvailableAt: Date | null;
	sessionExpiresAt: Date;
	sessionToken?: string;
}
interface VerifyResult {
	status: 'verified';
	user: { id: string; username: string; email: string | null; role: string };
	sessionExpiresAt: Date;
	sessionToken?: string;
}
type Me = { user: { username: string }; session: { state: string; expiresAt: Date } } | null;
interface SessionPage {
	sessions: Array<{ publicId: string; state: string; current: boolean; createdAt: Date }>;
	total: number;
}

const TOKEN = /^[a-z2-7]{40}$/;
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

function sessionCookie(reply: TrpcReply<unknown>, name = 'session'): SetCookie | undefined {
	return reply.setCookies.find((cookie) => cookie.name === name);
}

describe.each(dialects)('signing in over HTTP on %s', (dialect) => {
	const stack = useAppStack(dialect);
	// Every code and token handed out, to check the server log holds none of them.
	const secrets: string[] = [];

	/** What a browser adds to its own POSTs: the guard wants it with a session cookie. */
	const browser = () => ({ origin: stack.server.origin });

	async function loginWithCookie(user: SeededUser) {
		const jar = new CookieJar();
		const reply = await trpcMutation<LoginResult>(stack.server.origin, 'auth.login', {
			input: { username: user.username, password: user.password },
			headers: browser(),
			jar
		});
		expect(reply.error).toBeUndefined();
		const pendingToken = jar.get('session')!;
		const { mail, code } = await waitForCode(stack.sink, user.email!);
		secrets.push(pendingToken, code);
		return { jar, reply, pendingToken, mail, code };
	}

	async function signInWithCookie(user: SeededUser) {
		const login = await loginWithCookie(user);
		const reply = await trpcMutation<VerifyResult>(stack.server.origin, 'auth.verifyOtp', {
			input: { code: login.code },
			headers: browser(),
			jar: login.jar
		});
		expect(reply.error).toBeUndefined();
		const token = login.jar.get('session')!;
		secrets.push(token);
		return { ...login, verify: reply, token };
	}

	const me = (options: { jar?: CookieJar; headers?: Record<string, string> }) =>
		trpcQuery<Me>(stack.server.origin, 'auth.me', options);
	const jarWith = (token: string, name = 'session') => {
		const jar = new CookieJar();
		jar.set(name, token);
		return jar;
	};
	const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

	describe('with the session cookie', () => {
		it('login answers otp_required with a pending cookie and mails the code to the user alone', async () => {
			const user = await seedUser(stack.database.db);
			const { reply, pendingToken, mail } = await loginWithCookie(user);

			expect(reply.status).toBe(200);
			expect(reply.data).toMatchObject({
				status: 'otp_required',
				methods: ['email'],
				codeSent: true,
				email: expect.not.stringContaining(user.username)
			});
			expect(reply.data!.expiresAt).toBeInstanceOf(Date);
			expect(reply.data!.sessionToken).toBeUndefined();
			expect(pendingToken).toMatch(TOKEN);
			expect(reply.body).not.toContain(pendingToken);

			expect(mail.envelopeTo).toEqual([user.email]);
			expect(mail.to).toBe(user.email);
			expect(mail.subject).not.toMatch(/\d{6}/);
			expect((await me({ jar: jarWith(pendingToken) })).data?.session.state).toBe('pending_otp');
		});

		it('verifyOtp sets a new session token: the pending one is not promoted', async () => {
			const user = await seedUser(stack.database.db);
			const { pendingToken, verify, token } = await signInWithCookie(user);

			expect(verify.data).toMatchObject({
				status: 'verified',
				user: { username: user.username, email: user.email }
			});
			expect(verify.data!.sessionToken).toBeUndefined();
			expect(sessionCookie(verify)?.value).toBe(token);
			expect(token).toMatch(TOKEN);
			expect(token).not.toBe(pendingToken);
			expect(verify.body).not.toContain(token);

			const now = await me({ jar: jarWith(token) });
			expect(now.data).toMatchObject({
				user: { username: user.username },
				session: { state: 'verified' }
			});
		});

		it('the pending cookie is dead once promoted', async () => {
			const user = await seedUser(stack.database.db);
			const { pendingToken } = await signInWithCookie(user);

			const stale = await me({ jar: jarWith(pendingToken) });
			expect(stale.status).toBe(200);
			expect(stale.data).toBeNull();
			// The server tells the browser to drop the dead cookie.
			expect(isCookieRemoval(sessionCookie(stale)!)).toBe(true);
			const sessions = await trpcQuery(stack.server.origin, 'account.sessions', {
				jar: jarWith(pendingToken)
			});
			expect(sessions.status).toBe(401);
		});

		it('a verified cookie reaches account.sessions, which shows no token or hash', async () => {
			const user = await seedUser(stack.database.db);
			const { token, pendingToken } = await signInWithCookie(user);

			const reply = await trpcQuery<SessionPage>(stack.server.origin, 'account.sessions', {
				jar: jarWith(token)
			});
			expect(reply.status).toBe(200);
			expect(reply.data).toMatchObject({
				sessions: [{ state: 'verified', current: true }],
				total: 1
			});
			expect(reply.data!.sessions[0]!.createdAt).toBeInstanceOf(Date);
			for (const secret of [token, sha256(token), pendingToken, sha256(pendingToken)]) {
				expect(reply.body).not.toContain(secret);
			}
		});

		it('logout ends the session and clears the cookie', async () => {
			const user = await seedUser(stack.database.db);
			const { jar, token } = await signInWithCookie(user);

			const reply = await trpcMutation(stack.server.origin, 'auth.logout', {
				headers: browser(),
				jar
			});
			expect(reply.status).toBe(200);
			expect(isCookieRemoval(sessionCookie(reply)!)).toBe(true);
			expect(jar.get('session')).toBeUndefined();

			// Replaying the old cookie gets nothing.
			expect((await me({ jar: jarWith(token) })).data).toBeNull();
			const sessions = await trpcQuery(stack.server.origin, 'account.sessions', {
				jar: jarWith(token)
			});
			expect(sessions.status).toBe(401);
		});

		it('a pending cookie gets 401 from account.sessions', async () => {
			const user = await seedUser(stack.database.db);
			const { pendingToken } = await loginWithCookie(user);

			const reply = await trpcQuery(stack.server.origin, 'account.sessions', {
				jar: jarWith(pendingToken)
			});
			expect(reply.status).toBe(401);
			expect(reply.error?.code).toBe('UNAUTHORIZED');
			// Still pending: the refusal did not end or promote it.
			expect((await me({ jar: jarWith(pendingToken) })).data?.session.state).toBe('pending_otp');
		});

		it('the cookie is HttpOnly, SameSite=Lax, Path=/ and not Secure over plain http', async () => {
			const user = await seedUser(stack.database.db);
			const { reply, verify } = await signInWithCookie(user);

			for (const cookie of [sessionCookie(reply)!, sessionCookie(verify)!]) {
				expect(cookie.attributes).toHaveProperty('httponly');
				expect(cookie.attributes.samesite?.toLowerCase()).toBe('lax');
				expect(cookie.attributes.path).toBe('/');
				expect(cookie.attributes).not.toHaveProperty('secure');
				expect(cookie.attributes).not.toHaveProperty('domain');
			}
		});
	});

	describe('with a bearer token', () => {
		async function loginWithBearer(user: SeededUser) {
			const reply = await trpcMutation<LoginResult>(stack.server.origin, 'auth.login', {
				input: { username: user.username, password: user.password, tokenType: 'bearer' }
			});
			expect(reply.error).toBeUndefined();
			const { code } = await waitForCode(stack.sink, user.email!);
			const pendingToken = reply.data!.sessionToken!;
			secrets.push(pendingToken, code);
			return { reply, code, pendingToken };
		}

		it('login with tokenType bearer sets no cookie and returns the session token', async () => {
			const user = await seedUser(stack.database.db);
			const { reply, pendingToken } = await loginWithBearer(user);

			expect(reply.status).toBe(200);
			expect(reply.data).toMatchObject({ status: 'otp_required', codeSent: true });
			expect(pendingToken).toMatch(TOKEN);
			expect(reply.headers.getSetCookie()).toEqual([]);
			const now = await me({ headers: bearer(pendingToken) });
			expect(now.data?.session.state).toBe('pending_otp');
		});

		it('verifyOtp with the pending bearer returns a new token and sets no cookie', async () => {
			const user = await seedUser(stack.database.db);
			const { code, pendingToken } = await loginWithBearer(user);

			const verify = await trpcMutation<VerifyResult>(stack.server.origin, 'auth.verifyOtp', {
				input: { code },
				headers: bearer(pendingToken)
			});
			expect(verify.status).toBe(200);
			expect(verify.data).toMatchObject({ status: 'verified', user: { username: user.username } });
			const token = verify.data!.sessionToken!;
			secrets.push(token);
			expect(token).toMatch(TOKEN);
			expect(token).not.toBe(pendingToken);
			expect(verify.headers.getSetCookie()).toEqual([]);

			const sessions = await trpcQuery<SessionPage>(stack.server.origin, 'account.sessions', {
				headers: bearer(token)
			});
			expect(sessions.status).toBe(200);
			expect(sessions.data?.sessions).toEqual([
				expect.objectContaining({ state: 'verified', current: true })
			]);

			const stale = await trpcQuery(stack.server.origin, 'account.sessions', {
				headers: bearer(pendingToken)
			});
			expect(stale.status).toBe(401);
			expect(stale.error?.code).toBe('UNAUTHORIZED');
			expect((await me({ headers: bearer(pendingToken) })).data).toBeNull();
		});

		it('a pending bearer gets 401 from account.sessions', async () => {
			const user = await seedUser(stack.database.db);
			const { pendingToken } = await loginWithBearer(user);

			const reply = await trpcQuery(stack.server.origin, 'account.sessions', {
				headers: bearer(pendingToken)
			});
			expect(reply.status).toBe(401);
			expect(reply.error?.code).toBe('UNAUTHORIZED');
		});

		it('logout with the bearer ends that session', async () => {
			const user = await seedUser(stack.database.db);
			const { code, pendingToken } = await loginWithBearer(user);
			const verify = await trpcMutation<VerifyResult>(stack.server.origin, 'auth.verifyOtp', {
				input: { code },
				headers: bearer(pendingToken)
			});
			const token = verify.data!.sessionToken!;
			secrets.push(token);

			const reply = await trpcMutation(stack.server.origin, 'auth.logout', {
				headers: bearer(token)
			});
			expect(reply.status).toBe(200);
			expect((await me({ headers: bearer(token) })).data).toBeNull();
		});
	});

	it('the server log holds none of the codes or tokens it handed out', () => {
		expect(secrets.length).toBeGreaterThan(10);
		const log = stack.server.output();
		for (const secret of secrets) expect(log).not.toContain(secret);
	});

	describe('when the SMTP server refuses connections', () => {
		let refusing: AppServer;

		beforeAll(async () => {
			refusing = await startAppServer({
				DATABASE_URL: stack.database.url,
				MAIL_TRANSPORT: 'smtp',
				SMTP_URL: `smtp://127.0.0.1:${await unusedPort()}`,
				OTP_RESEND_COOLDOWN_SECONDS: '1'
			});
		});
		afterAll(() => refusing?.stop());

		it('login still answers quickly, reports codeSent false, and a resend fails clearly', async () => {
			const user = await seedUser(stack.database.db);
			const jar = new CookieJar();
			const headers = { origin: refusing.origin };

			const started = Date.now();
			const login = await trpcMutation<LoginResult>(refusing.origin, 'auth.login', {
				input: { username: user.username, password: user.password },
				headers,
				jar
			});
			expect(Date.now() - started).toBeLessThan(12_000);
			expect(login.status).toBe(200);
			expect(login.data).toMatchObject({ status: 'otp_required', codeSent: false });
			const token = jar.get('session')!;
			expect(token).toMatch(TOKEN);

			const state = await trpcQuery<Me>(refusing.origin, 'auth.me', { jar });
			expect(state.data?.session.state).toBe('pending_otp');

			// Past the resend cooldown, so the resend really tries to send.
			await sleep(1100);
			const resend = await trpcMutation(refusing.origin, 'auth.resendOtp', {
				input: {},
				headers,
				jar
			});
			expect(resend.status).toBeGreaterThanOrEqual(400);
			expect(resend.error?.message).toMatch(/could not be sent/i);
			expect(resend.error?.message).not.toBe('Internal server error');
			expect(resend.error?.data).not.toHaveProperty('stack');
			expect(resend.body).not.toMatch(/\n\s+at |ECONNREFUSED|127\.0\.0\.1/);

			expect((await trpcQuery<Me>(refusing.origin, 'auth.me', { jar })).data?.session.state).toBe(
				'pending_otp'
			);

			const log = refusing.output();
			expect(log).toMatch(/not sent/);
			expect(log).not.toContain(token);
			expect(log).not.toMatch(/\b\d{6,10}\b/);
		});
	});

	describe('when the origin is https', () => {
		const HTTPS_ORIGIN = 'https://admin.example.test';
		let secureSink: SmtpSink;
		let secure: AppServer;

		beforeAll(async () => {
			secureSink = await startSmtpSink();
			secure = await startAppServer({
				DATABASE_URL: stack.database.url,
				MAIL_TRANSPORT: 'smtp',
				SMTP_URL: secureSink.url,
				ORIGIN: HTTPS_ORIGIN
			});
		});
		afterAll(async () => {
			await secureSink?.stop();
			await secure?.stop();
		});

		it('names the cookie __Host-session and marks it Secure', async () => {
			const user = await seedUser(stack.database.db);
			const jar = new CookieJar();
			// The app listens on plain http here; its idea of its own origin comes from ORIGIN.
			const headers = { origin: HTTPS_ORIGIN };

			const login = await trpcMutation<LoginResult>(secure.origin, 'auth.login', {
				input: { username: user.username, password: user.password },
				headers,
				jar
			});
			expect(login.status).toBe(200);
			const { code } = await waitForCode(secureSink, user.email!);
			const verify = await trpcMutation<VerifyResult>(secure.origin, 'auth.verifyOtp', {
				input: { code },
				headers,
				jar
			});
			expect(verify.status).toBe(200);

			for (const reply of [login, verify]) {
				expect(sessionCookie(reply)).toBeUndefined();
				const cookie = sessionCookie(reply, '__Host-session')!;
				expect(cookie.value).toMatch(TOKEN);
				expect(cookie.attributes).toHaveProperty('secure');
				expect(cookie.attributes).toHaveProperty('httponly');
				expect(cookie.attributes.samesite?.toLowerCase()).toBe('lax');
				expect(cookie.attributes.path).toBe('/');
				expect(cookie.attributes).not.toHaveProperty('domain');
			}
			expect(sessionCookie(verify, '__Host-session')!.value).not.toBe(
				sessionCookie(login, '__Host-session')!.value
			);
			const state = await trpcQuery<Me>(secure.origin, 'auth.me', { jar });
			expect(state.data?.session.state).toBe('verified');
		});
	});
});
