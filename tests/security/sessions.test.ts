// Attacks on sessions themselves: fixation, replay after promotion or logout, lifetimes (on a
// fake clock), revocation by a password change or a deactivation, the cookie's attributes, and
// raw secrets in the database. In-process callers where HTTP does not matter; the production
// build where cookies do.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '$lib/server/auth/crypto';
import { getPolicy } from '$lib/server/auth/policy';
import { maskEmail } from '$lib/server/mail';
import { advanceClock, errorOf, useApiHarness } from '../helpers/api-harness';
import { startAppServer, type AppServer } from '../../tools/app-server';
import { findInDatabase } from '../helpers/database-contents';
import { dialects } from '../../tools/databases';
import {
	sessionHeaders,
	signInOverHttp,
	startSignInOverHttp,
	type HttpSignInOptions
} from '../helpers/http-sign-in';
import {
	CookieJar,
	seedUser,
	trpcMutation,
	trpcQuery,
	waitForCode,
	type SetCookie
} from '../../tools/sign-in';
import { startSmtpSink, type SmtpSink } from '../../tools/smtp-sink';

const policy = getPolicy();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

type Me = { user: { username: string }; session: { state: string } } | null;

/** A token of the session format that no one was ever given. */
function plantedToken(): string {
	const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
	return Array.from(randomBytes(40), (byte) => alphabet[byte % 32]).join('');
}

describe.each(dialects)('sessions on %s', (dialect) => {
	const api = useApiHarness(dialect, { auth: 'authenticate' });
	const { callerFor } = api;

	/** Whether the token still opens a verified-tier procedure (any credential, via the hook). */
	async function isSignedIn(token: string): Promise<boolean> {
		const caller = await callerFor(token);
		return caller.backupTokens.countMine().then(
			() => true,
			() => false
		);
	}

	describe('over HTTP', () => {
		let sink: SmtpSink;
		let server: AppServer;

		beforeAll(async () => {
			sink = await startSmtpSink();
			server = await startAppServer({
				DATABASE_URL: api.database.url,
				MAIL_TRANSPORT: 'smtp',
				SMTP_URL: sink.url
			});
		});
		afterAll(async () => {
			// The sink first: it closes the app's pooled SMTP connection, which would otherwise keep
			// `node build` alive for seconds after SIGTERM.
			await sink?.stop();
			await server?.stop();
		});

		const me = (token: string, options: HttpSignInOptions) => {
			const jar = new CookieJar();
			if (options.transport === 'cookie') jar.set('session', token);
			return trpcQuery<Me>(server.origin, 'auth.me', {
				headers: options.transport === 'bearer' ? { authorization: `Bearer ${token}` } : {},
				jar
			});
		};
		const sessionsWith = (token: string, options: HttpSignInOptions) => {
			const jar = new CookieJar();
			if (options.transport === 'cookie') jar.set('session', token);
			return trpcQuery(server.origin, 'account.sessions', {
				headers: options.transport === 'bearer' ? { authorization: `Bearer ${token}` } : {},
				jar
			});
		};
		const sessionRow = (token: string) =>
			api.db
				.selectFrom('sessions')
				.select(['user_id', 'state', 'expires_at'])
				.where('id', '=', sha256Hex(token))
				.executeTakeFirst();

		it('session id planted in the cookie before login [login sets a new id; the planted one is never a session]', async () => {
			const user = await seedUser(api.db);
			const planted = plantedToken();
			const jar = new CookieJar();
			jar.set('session', planted);

			const login = await trpcMutation(server.origin, 'auth.login', {
				input: { username: user.username, password: user.password },
				headers: { origin: server.origin },
				jar
			});
			expect(login.status).toBe(200);
			const pendingToken = jar.get('session')!;
			expect(pendingToken).not.toBe(planted);
			const { code } = await waitForCode(sink, user.email!);
			await trpcMutation(server.origin, 'auth.verifyOtp', {
				input: { code },
				headers: { origin: server.origin },
				jar
			});
			const token = jar.get('session')!;

			expect([pendingToken, planted]).not.toContain(token);
			expect(await sessionRow(planted)).toBeUndefined();
			expect((await me(planted, { transport: 'cookie' })).data).toBeNull();
			expect((await me(token, { transport: 'cookie' })).data?.user.username).toBe(user.username);
		});

		it("attacker's own pending session id planted in the victim's browser [the victim signs in under a new id; the planted one stays the attacker's]", async () => {
			const attacker = await seedUser(api.db);
			const victim = await seedUser(api.db);
			const planted = (
				await startSignInOverHttp(server.origin, sink, attacker, { transport: 'cookie' })
			).pendingToken;

			const jar = new CookieJar();
			jar.set('session', planted);
			const login = await trpcMutation(server.origin, 'auth.login', {
				input: { username: victim.username, password: victim.password },
				headers: { origin: server.origin },
				jar
			});
			expect(login.status).toBe(200);
			expect(jar.get('session')).not.toBe(planted);
			const { code } = await waitForCode(sink, victim.email!);
			await trpcMutation(server.origin, 'auth.verifyOtp', {
				input: { code },
				headers: { origin: server.origin },
				jar
			});
			expect((await me(jar.get('session')!, { transport: 'cookie' })).data).toMatchObject({
				user: { username: victim.username },
				session: { state: 'verified' }
			});

			expect(await sessionRow(planted)).toMatchObject({
				user_id: attacker.id,
				state: 'pending_otp'
			});
			// A pending session sees its state and the masked address, never the account itself.
			expect((await me(planted, { transport: 'cookie' })).data).toEqual({
				session: { state: 'pending_otp', expiresAt: expect.any(Date) },
				email: maskEmail(attacker.email!),
				methods: ['email'],
				// No FACTOR_POLICY in this suite: nothing is required.
				factors: { required: [], enrolmentRequired: false }
			});
		});

		describe.each(['cookie', 'bearer'] as const)('by %s', (transport) => {
			const options = { transport };

			it(`pending session id replayed by ${transport} after its promotion [401; auth.me null]`, async () => {
				const user = await seedUser(api.db);
				const { pendingToken, token } = await signInOverHttp(server.origin, sink, user, options);

				expect(token).not.toBe(pendingToken);
				expect(await sessionRow(pendingToken)).toBeUndefined();
				const replay = await sessionsWith(pendingToken, options);
				expect(replay.status).toBe(401);
				expect(replay.error?.code).toBe('UNAUTHORIZED');
				expect((await me(pendingToken, options)).data).toBeNull();
			});

			it(`verified session replayed by ${transport} after logout [401; auth.me null]`, async () => {
				const user = await seedUser(api.db);
				const { jar, token } = await signInOverHttp(server.origin, sink, user, options);
				const logout = await trpcMutation(server.origin, 'auth.logout', {
					headers: sessionHeaders(options, server.origin, token),
					jar: transport === 'cookie' ? jar : undefined
				});
				expect(logout.status).toBe(200);

				expect(await sessionRow(token)).toBeUndefined();
				const replay = await sessionsWith(token, options);
				expect(replay.status).toBe(401);
				expect(replay.error?.code).toBe('UNAUTHORIZED');
				expect((await me(token, options)).data).toBeNull();
			});

			it(`pending session replayed by ${transport} with its code after logout [401; never verified]`, async () => {
				const user = await seedUser(api.db);
				const { jar, pendingToken, code } = await startSignInOverHttp(
					server.origin,
					sink,
					user,
					options
				);
				await trpcMutation(server.origin, 'auth.logout', {
					headers: sessionHeaders(options, server.origin, pendingToken),
					jar: transport === 'cookie' ? jar : undefined
				});

				const replayJar = new CookieJar();
				replayJar.set('session', pendingToken);
				const verify = await trpcMutation(server.origin, 'auth.verifyOtp', {
					input: { code },
					headers: sessionHeaders(options, server.origin, pendingToken),
					jar: transport === 'cookie' ? replayJar : undefined
				});
				expect(verify.status).toBe(401);
				expect(verify.error?.code).toBe('UNAUTHORIZED');
				const rows = await api.db
					.selectFrom('sessions')
					.select('id')
					.where('user_id', '=', user.id)
					.execute();
				expect(rows).toEqual([]);
			});
		});

		describe('cookie attributes', () => {
			/** Every attribute, by name; the value only where it is fixed. */
			function expectSessionCookie(
				cookie: SetCookie | undefined,
				expected: { name: string; secure: boolean; expiresAt: number | 'cleared' }
			) {
				expect(cookie?.name).toBe(expected.name);
				const { attributes } = cookie!;
				const cleared = expected.expiresAt === 'cleared';
				expect(Object.keys(attributes).sort()).toEqual(
					[
						'expires',
						'httponly',
						...(cleared ? ['max-age'] : []),
						'path',
						'samesite',
						...(expected.secure ? ['secure'] : [])
					].sort()
				);
				expect(attributes.httponly).toBe('');
				expect(attributes.path).toBe('/');
				expect(attributes.samesite).toBe('Lax');
				const expires = Date.parse(attributes.expires!);
				if (cleared) {
					expect(cookie!.value).toBe('');
					expect(attributes['max-age']).toBe('0');
					expect(expires).toBe(0);
				} else {
					// Expires is written to the second.
					expect(Math.abs(expires - (expected.expiresAt as number))).toBeLessThan(1000);
				}
			}

			/** Signs in and out through the server, checking each cookie it sets. */
			async function checkCookies(target: string, origin: string, secure: boolean) {
				const name = secure ? '__Host-session' : 'session';
				const cookieOf = (reply: { setCookies: SetCookie[] }) =>
					reply.setCookies.find((cookie) => cookie.name.endsWith('session'));
				const expiryOf = async (token: string) => Number((await sessionRow(token))!.expires_at);
				const user = await seedUser(api.db);
				const signedIn = await signInOverHttp(target, sink, user, {
					transport: 'cookie',
					origin,
					cookieName: name
				});

				expectSessionCookie(cookieOf(signedIn.login), {
					name,
					secure,
					// The pending session's row is gone; its expiry was 10 minutes after login.
					expiresAt: signedIn.login.data!.sessionExpiresAt.getTime()
				});
				expect(signedIn.login.data!.sessionExpiresAt.getTime()).toBeLessThanOrEqual(
					Date.now() + policy.session.pendingLifetimeMs
				);
				expectSessionCookie(cookieOf(signedIn.verify), {
					name,
					secure,
					expiresAt: await expiryOf(signedIn.token)
				});

				const logout = await trpcMutation(target, 'auth.logout', {
					headers: { origin },
					jar: signedIn.jar
				});
				expectSessionCookie(cookieOf(logout), { name, secure, expiresAt: 'cleared' });

				// A cookie the server no longer knows is cleared the same way.
				const stale = new CookieJar();
				stale.set(name, signedIn.token);
				const dead = await trpcQuery(target, 'auth.me', { jar: stale });
				expectSessionCookie(cookieOf(dead), { name, secure, expiresAt: 'cleared' });
			}

			it('pending, verified and clearing cookies over http [session; HttpOnly; SameSite=Lax; Path=/; no Secure, no Domain; Expires = the session expiry]', async () => {
				await checkCookies(server.origin, server.origin, false);
			});

			describe('when the public origin is https', () => {
				const HTTPS_ORIGIN = 'https://admin.example.test';
				let secure: AppServer;

				beforeAll(async () => {
					// The app decides from its ORIGIN (adapter-node's idea of the request URL); it
					// listens on plain http here like behind a TLS-terminating proxy.
					secure = await startAppServer({
						DATABASE_URL: api.database.url,
						MAIL_TRANSPORT: 'smtp',
						SMTP_URL: sink.url,
						ORIGIN: HTTPS_ORIGIN
					});
				});
				afterAll(() => secure?.stop());

				it('pending, verified and clearing cookies [__Host-session; Secure; HttpOnly; SameSite=Lax; Path=/; no Domain; Expires = the session expiry]', async () => {
					await checkCookies(secure.origin, HTTPS_ORIGIN, true);
				});
			});
		});
	});

	describe('lifetimes, on a fake clock', () => {
		it('the limits are 10 min pending, 12 h idle and 7 days absolute [defaults]', () => {
			expect(policy.session).toEqual({
				pendingLifetimeMs: 10 * MINUTE,
				idleTimeoutMs: 12 * HOUR,
				maxLifetimeMs: 7 * DAY
			});
		});

		it('pending session kept busy with resends, then verified 10 min after login with a live code [401 UNAUTHORIZED]', async () => {
			const user = await seedUser(api.db);
			const { pending } = await api.startSignIn(user);
			advanceClock(6 * MINUTE);
			await (await callerFor(pending)).auth.resendOtp();
			const { code } = await waitForCode(api.sink, user.email!);

			advanceClock(4 * MINUTE - 1000);
			const before = await (await callerFor(pending)).auth.me();
			expect(before?.session.state).toBe('pending_otp');
			advanceClock(2000);
			// The code has minutes left; the session it belongs to has none.
			const caller = await callerFor(pending);
			expect(await caller.auth.me()).toBeNull();
			expect((await errorOf(caller.auth.verifyOtp({ code }))).code).toBe('UNAUTHORIZED');
		});

		it('verified session left idle for 12 h [401 UNAUTHORIZED], while one in use stays signed in', async () => {
			const user = await seedUser(api.db);
			const idle = await api.signIn(user);
			const busy = await api.signIn(user);

			advanceClock(12 * HOUR - MINUTE);
			expect(await isSignedIn(busy)).toBe(true);
			advanceClock(2 * MINUTE);

			expect(await isSignedIn(idle)).toBe(false);
			expect((await errorOf((await callerFor(idle)).account.sessions())).code).toBe('UNAUTHORIZED');
			expect(await isSignedIn(busy)).toBe(true);
		});

		it('verified session in use every 11 h for 7 days [401 UNAUTHORIZED at the absolute lifetime]', async () => {
			const user = await seedUser(api.db);
			const token = await api.signIn(user);
			let elapsed = 0;
			while (elapsed + 11 * HOUR < 7 * DAY - MINUTE) {
				advanceClock(11 * HOUR);
				elapsed += 11 * HOUR;
				expect(await isSignedIn(token)).toBe(true);
			}
			advanceClock(7 * DAY - MINUTE - elapsed);
			expect(await isSignedIn(token)).toBe(true);
			advanceClock(2 * MINUTE);

			expect(await isSignedIn(token)).toBe(false);
			expect((await errorOf((await callerFor(token)).account.sessions())).code).toBe(
				'UNAUTHORIZED'
			);
		});
	});

	describe('revocation', () => {
		it("password change, then the user's other sessions (pending too) and API tokens are used [401 UNAUTHORIZED; the changing session stays]", async () => {
			const user = await seedUser(api.db);
			const current = await api.signIn(user);
			const other = await api.signIn(user);
			const pending = await api.startSignIn(user);
			const { token: apiToken } = await (
				await callerFor(current)
			).apiTokens.create({ name: 'ci', scopes: ['read', 'write'], expiresInDays: null });

			await (
				await callerFor(current)
			).account.changePassword({ current: user.password, next: 'a brand new password' });

			expect(await isSignedIn(other)).toBe(false);
			expect(await isSignedIn(apiToken)).toBe(false);
			const stale = await callerFor(pending.pending);
			expect((await errorOf(stale.auth.verifyOtp({ code: pending.code }))).code).toBe(
				'UNAUTHORIZED'
			);
			expect(await isSignedIn(current)).toBe(true);
		});

		it("deactivation, then the user's sessions (pending too) and API tokens are used [401 UNAUTHORIZED; none revived by reactivation]", async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const user = await seedUser(api.db);
			const session = await api.signIn(user);
			const { token: apiToken } = await (
				await callerFor(session)
			).apiTokens.create({ name: 'ci', scopes: ['read', 'write'], expiresInDays: null });
			const pending = await api.startSignIn(user);
			const adminCaller = await callerFor(await api.signIn(admin));

			await adminCaller.users.setActive({ ids: [user.id], active: false });

			const credentials = [session, apiToken];
			for (const credential of credentials) expect(await isSignedIn(credential)).toBe(false);
			const stale = await callerFor(pending.pending);
			expect((await errorOf(stale.auth.verifyOtp({ code: pending.code }))).code).toBe(
				'UNAUTHORIZED'
			);
			const left = await Promise.all(
				(['sessions', 'api_tokens'] as const).map((table) =>
					api.db.selectFrom(table).select('user_id').where('user_id', '=', user.id).execute()
				)
			);
			expect(left).toEqual([[], []]);

			await adminCaller.users.setActive({ ids: [user.id], active: true });
			for (const credential of credentials) expect(await isSignedIn(credential)).toBe(false);
		});
	});

	it('a full sign-in, a backup-token sign-in and an API token used, then every column of every table searched [no raw session token, code, backup token or API token anywhere]', async () => {
		const user = await seedUser(api.db);
		const first = await api.startSignIn(user);
		const verified = await (await callerFor(first.pending)).auth.verifyOtp({ code: first.code });
		const session = await callerFor(verified.sessionToken!);
		const { tokens } = await session.backupTokens.generateMine({ count: 2 });
		const { token: apiToken } = await session.apiTokens.create({
			name: 'ci',
			scopes: ['read'],
			expiresInDays: 30
		});
		await (await callerFor(apiToken)).backupTokens.countMine();

		const second = await api.startSignIn(user);
		const byBackup = await (await callerFor(second.pending)).auth.verifyOtp({ code: tokens[0]! });

		const secrets = [
			first.pending,
			first.code,
			verified.sessionToken!,
			second.pending,
			second.code,
			byBackup.sessionToken!,
			apiToken,
			// The part after the prefix (the prefix is stored on purpose, to tell tokens apart).
			apiToken.split('_')[1]!,
			...tokens,
			...tokens.map((token) => token.replace(/-/g, ''))
		];
		expect(new Set(secrets).size).toBe(secrets.length);
		expect(await findInDatabase(api.db, secrets)).toEqual([]);
		// The search does find what is there: the session's hash, by the same rules.
		expect(await findInDatabase(api.db, [sha256Hex(verified.sessionToken!)])).toEqual([
			'sessions.id'
		]);
	});
});
