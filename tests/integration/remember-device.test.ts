// "Don't ask again on this device" through the server-side caller, on each dialect, with a cookie
// store standing in for the browser: remembering after a code, signing in again with the password
// alone, listing and forgetting, and every change that must forget. One `describe` per rule.
import { describe, expect, it } from 'vitest';
import { deleteExpiredAuthRows } from '$lib/server/auth/cleanup';
import { getPolicy } from '$lib/server/auth/policy';
import {
	forgetRememberedDevices,
	MAX_REMEMBERED_DEVICES,
	rememberDevice
} from '$lib/server/auth/remembered-devices';
import { insertApiToken } from '$lib/server/auth/api-tokens';
import { advanceClock, codeRequired, errorOf, useApiHarness } from '../helpers/api-harness';
import { BrowserCookies, browserCaller, type BrowserOptions } from '../helpers/browser-caller';
import { registerKey } from '../helpers/security-keys';
import { dialects } from '../../tools/databases';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

const policy = getPolicy();
const DAY = 24 * 60 * 60 * 1000;
const DEVICE_COOKIE = 'remembered_device';
const REMEMBERED_SUBJECT = 'A device was remembered for your Admin account';

describe.each(dialects)('remembered devices on %s', (dialect) => {
	const api = useApiHarness(dialect, { auth: 'authenticate' });

	async function passwordStep(browser: BrowserCookies, user: SeededUser, options?: BrowserOptions) {
		const caller = await browserCaller(api, browser, options);
		return caller.auth.login({ username: user.username, password: user.password });
	}

	/** Password, emailed code, and the box ticked (or not): the browser holds a verified session. */
	async function signIn(
		browser: BrowserCookies,
		user: SeededUser,
		{ remember = true, ...options }: BrowserOptions & { remember?: boolean } = {}
	) {
		expect((await passwordStep(browser, user, options)).status).toBe('otp_required');
		const { code } = await waitForCode(api.sink, user.email!);
		const caller = await browserCaller(api, browser, options);
		return caller.auth.verifyOtp({ code, rememberDevice: remember });
	}

	async function signOut(browser: BrowserCookies) {
		await (await browserCaller(api, browser)).auth.logout();
		expect(browser.get('session')).toBeUndefined();
	}

	/** A browser remembered for the user, signed out again: only the device cookie is left. */
	async function rememberedBrowser(user: SeededUser): Promise<BrowserCookies> {
		const browser = new BrowserCookies();
		await signIn(browser, user);
		await api.sink.waitForMessage(
			(m) => m.subject === REMEMBERED_SUBJECT && m.envelopeTo.includes(user.email!)
		);
		await signOut(browser);
		return browser;
	}

	function devicesOf(userId: string) {
		return api.db
			.selectFrom('remembered_devices')
			.select(['public_id', 'token_hash', 'user_agent', 'ip', 'created_at', 'last_used_at'])
			.select('expires_at')
			.where('user_id', '=', userId)
			.execute();
	}

	function auditOf(userId: string) {
		return api.db
			.selectFrom('audit_log')
			.select(['event', 'details', 'actor_id'])
			.where('subject_id', '=', userId)
			.orderBy('created_at')
			.orderBy('seq')
			.execute();
	}

	describe('ticking the box after the code', () => {
		it('a security key sign-in remembers the browser too, when the box is ticked', async () => {
			const user = await seedUser(api.db);
			const browser = new BrowserCookies();
			await signIn(browser, user, { remember: false });
			// Without ORIGIN the relying party is the request's origin: the key answers for it.
			const { key } = await registerKey(await browserCaller(api, browser), 'Desk key', {
				origin: browser.url.origin
			});
			await signOut(browser);
			expect(await devicesOf(user.id)).toHaveLength(0);

			expect((await passwordStep(browser, user)).status).toBe('otp_required');
			const pending = await browserCaller(api, browser);
			const options = await pending.auth.webauthn.options();
			const verified = await pending.auth.webauthn.verify({
				response: key.assert(options),
				rememberDevice: true
			});
			expect(verified.status).toBe('verified');
			expect(await devicesOf(user.id)).toHaveLength(1);
			expect(browser.get(DEVICE_COOKIE)).toBeDefined();
		});

		it('stores a keyed hash only, audits it, mails the owner and sets the device cookie', async () => {
			const user = await seedUser(api.db);
			const browser = new BrowserCookies();
			const before = Date.now();
			await signIn(browser, user);

			const cookie = browser.get(DEVICE_COOKIE)!;
			expect(cookie).toMatch(/^[\w-]{43}\.[\w-]{43}$/);
			expect(browser.options.get(DEVICE_COOKIE)).toEqual({
				path: '/',
				httpOnly: true,
				sameSite: 'lax',
				secure: false,
				maxAge: 30 * 24 * 60 * 60
			});
			const [device, ...more] = await devicesOf(user.id);
			expect(more).toEqual([]);
			expect(device!.token_hash).toMatch(/^[0-9a-f]{64}$/);
			const [token, mac] = cookie.split('.');
			const dump = JSON.stringify(
				await api.db.selectFrom('remembered_devices').selectAll().execute()
			);
			expect(dump).not.toContain(token);
			expect(dump).not.toContain(mac);
			expect(Number(device!.expires_at) - Number(device!.created_at)).toBe(30 * DAY);
			expect(Number(device!.created_at)).toBeGreaterThanOrEqual(before);
			expect(device!.last_used_at).toBeNull();
			expect(device!.user_agent).toMatch(/Chrome/);

			const events = (await auditOf(user.id)).map((row) => [row.event, row.details]);
			expect(events).toContainEqual(['device.remembered', device!.public_id]);
			const notice = await api.sink.waitForMessage(
				(m) => m.subject === REMEMBERED_SUBJECT && m.envelopeTo.includes(user.email!)
			);
			expect(notice.envelopeTo).toEqual([user.email]);
			expect(notice.text).toContain('203.0.113.9');
		});

		it('uses the __Host- name and Secure on https, like the session cookie', async () => {
			const user = await seedUser(api.db);
			const browser = new BrowserCookies(new URL('https://admin.example.com/'));
			await signIn(browser, user);
			expect(browser.get('__Host-session')).toBeDefined();
			expect(browser.get(`__Host-${DEVICE_COOKIE}`)).toBeDefined();
			expect(browser.options.get(`__Host-${DEVICE_COOKIE}`)).toMatchObject({
				secure: true,
				httpOnly: true,
				path: '/'
			});
		});

		it('remembers nothing when the box is not ticked', async () => {
			const user = await seedUser(api.db);
			const browser = new BrowserCookies();
			await signIn(browser, user, { remember: false });
			expect(browser.get(DEVICE_COOKIE)).toBeUndefined();
			expect(await devicesOf(user.id)).toEqual([]);
		});

		it('remembers nothing for a bearer sign-in (tools get no device cookie)', async () => {
			const user = await seedUser(api.db);
			const { pending, code } = await api.startSignIn(user);
			const verified = await (
				await api.callerFor(pending)
			).auth.verifyOtp({ code, rememberDevice: true });
			expect(verified.status).toBe('verified');
			expect(await devicesOf(user.id)).toEqual([]);
		});

		it(`keeps at most ${MAX_REMEMBERED_DEVICES} devices: one more forgets the oldest`, async () => {
			const user = await seedUser(api.db);
			const start = Date.now();
			const made = [];
			for (let i = 0; i <= MAX_REMEMBERED_DEVICES; i++) {
				const params = { userId: user.id, ip: null, userAgent: null };
				made.push(await rememberDevice(api.db, params, DAY, start + i));
			}
			const kept = (await devicesOf(user.id)).map((row) => row.public_id).sort();
			expect(kept).toEqual(
				made
					.slice(1)
					.map((device) => device.publicId)
					.sort()
			);
		});
	});

	describe('signing in again on a remembered device', () => {
		it('the password alone gives a new verified session; no code is made or sent', async () => {
			const user = await seedUser(api.db);
			const browser = await rememberedBrowser(user);
			const [device] = await devicesOf(user.id);
			const auditBefore = (await auditOf(user.id)).length;

			const answer = await passwordStep(browser, user);
			expect(answer).toEqual({
				status: 'verified',
				user: { id: user.id, username: user.username, email: user.email, role: 'member' },
				sessionExpiresAt: expect.any(Date)
			});
			const me = await (await browserCaller(api, browser)).auth.me();
			expect(me).toMatchObject({ session: { state: 'verified' }, user: { id: user.id } });

			const sessions = await api.db
				.selectFrom('sessions')
				.select(['state', 'verified_at', 'promoted_from'])
				.where('user_id', '=', user.id)
				.execute();
			// The one from this sign-in (the first ended at sign-out): verified, no code proven in it.
			expect(sessions).toEqual([{ state: 'verified', verified_at: null, promoted_from: null }]);
			const codes = await api.db
				.selectFrom('email_otps')
				.select('user_id')
				.where('user_id', '=', user.id)
				.execute();
			expect(codes).toEqual([]);

			const added = (await auditOf(user.id)).slice(auditBefore);
			expect(added.map((row) => [row.event, row.details])).toEqual([
				['login.succeeded', null],
				['otp.verified', `remembered device ${device!.public_id}`]
			]);
			const [used] = await devicesOf(user.id);
			expect(used!.last_used_at).not.toBeNull();
			expect(Number(used!.last_used_at)).toBeGreaterThanOrEqual(Number(used!.created_at));
			expect(used!.expires_at).toBe(device!.expires_at);
		});

		it('never skips the password', async () => {
			const user = await seedUser(api.db);
			const browser = await rememberedBrowser(user);
			const caller = await browserCaller(api, browser);
			const refused = await errorOf(
				caller.auth.login({ username: user.username, password: 'not the password' })
			);
			expect(refused.code).toBe('UNAUTHORIZED');
			expect(browser.get('session')).toBeUndefined();
			expect((await devicesOf(user.id))[0]!.last_used_at).toBeNull();
		});

		it('ignores the cookie for a bearer sign-in: the code is asked', async () => {
			const user = await seedUser(api.db);
			const browser = await rememberedBrowser(user);
			const caller = await browserCaller(api, browser);
			const answer = codeRequired(
				await caller.auth.login({
					username: user.username,
					password: user.password,
					tokenType: 'bearer'
				})
			);
			expect(answer.codeSent).toBe(true);
			await waitForCode(api.sink, user.email!);
			expect((await devicesOf(user.id))[0]!.last_used_at).toBeNull();
		});
	});

	describe('listing and forgetting', () => {
		it('lists your live devices with browser, address and times, never a hash', async () => {
			const user = await seedUser(api.db);
			const browser = new BrowserCookies();
			await signIn(browser, user);
			const devices = await (await browserCaller(api, browser)).account.devices();
			const [row] = await devicesOf(user.id);
			expect(devices).toEqual([
				{
					publicId: row!.public_id,
					userAgent: expect.stringContaining('Chrome'),
					ip: '203.0.113.9',
					createdAt: new Date(Number(row!.created_at)),
					lastUsedAt: null,
					expiresAt: new Date(Number(row!.expires_at))
				}
			]);
		});

		it('forgets one device by its public id: its next sign-in asks for the code', async () => {
			const user = await seedUser(api.db);
			const browser = await rememberedBrowser(user);
			const other = new BrowserCookies();
			await signIn(other, user, { remember: false });
			const [device] = await devicesOf(user.id);

			await (await browserCaller(api, other)).account.forgetDevice({ publicId: device!.public_id });
			expect(await devicesOf(user.id)).toEqual([]);
			const audit = await auditOf(user.id);
			expect(audit.at(-1)).toEqual({
				event: 'device.forgotten',
				details: device!.public_id,
				actor_id: user.id
			});
			expect((await passwordStep(browser, user)).status).toBe('otp_required');
		});

		it("answers someone else's device as one that does not exist, and leaves it", async () => {
			const owner = await seedUser(api.db);
			await rememberedBrowser(owner);
			const [device] = await devicesOf(owner.id);
			const stranger = await seedUser(api.db);
			const browser = new BrowserCookies();
			await signIn(browser, stranger, { remember: false });
			const refused = await errorOf(
				(await browserCaller(api, browser)).account.forgetDevice({ publicId: device!.public_id })
			);
			expect(refused.code).toBe('NOT_FOUND');
			expect(await devicesOf(owner.id)).toHaveLength(1);
		});

		it('forgets all at once, saying how many; with none it writes nothing', async () => {
			const user = await seedUser(api.db);
			await rememberedBrowser(user);
			const browser = new BrowserCookies();
			await signIn(browser, user);
			const caller = await browserCaller(api, browser);
			expect(await caller.account.forgetAllDevices()).toEqual({ forgotten: 2 });
			expect(await devicesOf(user.id)).toEqual([]);
			const audited = (await auditOf(user.id)).length;
			expect(await caller.account.forgetAllDevices()).toEqual({ forgotten: 0 });
			expect(await auditOf(user.id)).toHaveLength(audited);
		});

		it('are for a person: an API token can list with account.read but never forget', async () => {
			const user = await seedUser(api.db);
			await rememberedBrowser(user);
			const { token } = await insertApiToken(api.db, {
				userId: user.id,
				name: 'script',
				scopes: ['account.read', 'account.update'],
				expiresAt: null
			});
			const caller = await api.callerFor(token);
			expect(await caller.account.devices()).toHaveLength(1);
			const [device] = await devicesOf(user.id);
			const refused = await errorOf(caller.account.forgetDevice({ publicId: device!.public_id }));
			expect(refused.code).toBe('FORBIDDEN');
			expect((await errorOf(caller.account.forgetAllDevices())).code).toBe('FORBIDDEN');
			expect(await devicesOf(user.id)).toHaveLength(1);
		});
	});

	describe('changes that forget every device of the account', () => {
		it('your own password change', async () => {
			const user = await seedUser(api.db);
			await rememberedBrowser(user);
			const browser = new BrowserCookies();
			await signIn(browser, user);
			await (
				await browserCaller(api, browser)
			).account.changePassword({ current: user.password, next: 'a brand new passphrase' });
			expect(await devicesOf(user.id)).toEqual([]);
			expect((await auditOf(user.id)).map((row) => [row.event, row.details])).toContainEqual([
				'device.forgotten',
				'all=2 (password changed)'
			]);
		});

		it.each([
			['a password an admin sets', 'password set by an administrator'],
			['deactivation', 'user deactivated'],
			['an admin clearing the two-factor address', 'two-factor address cleared']
		])('%s', async (_name, reason) => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const user = await seedUser(api.db);
			await rememberedBrowser(user);
			const caller = await api.callerFor(await api.signIn(admin));
			if (reason === 'password set by an administrator') {
				await caller.users.setPassword({ id: user.id, password: 'set by the admin, long enough' });
			} else if (reason === 'user deactivated') {
				await caller.users.setActive({ ids: [user.id], active: false });
			} else {
				await api.db
					.updateTable('users')
					.set({ otp_email: `codes-${user.username}@example.net` })
					.where('id', '=', user.id)
					.execute();
				await caller.twoFactor.clearEmailFor({ userId: user.id });
			}
			expect(await devicesOf(user.id)).toEqual([]);
			const forgotten = (await auditOf(user.id)).filter((row) => row.event === 'device.forgotten');
			expect(forgotten).toEqual([
				{ event: 'device.forgotten', details: `all=1 (${reason})`, actor_id: admin.id }
			]);
		});

		it('forgetRememberedDevices, for factor removal: in the caller’s transaction, audited', async () => {
			const user = await seedUser(api.db);
			await rememberedBrowser(user);
			const now = Date.now();
			const ended = await api.db
				.transaction()
				.execute((trx) => forgetRememberedDevices(trx, user.id, now));
			expect(ended).toBe(1);
			expect(await devicesOf(user.id)).toEqual([]);
			expect((await auditOf(user.id)).at(-1)).toEqual({
				event: 'device.forgotten',
				details: 'all=1',
				actor_id: null
			});
		});
	});

	describe('expiry', () => {
		it('an expired device is not listed, and the cleanup job deletes it', async () => {
			const user = await seedUser(api.db);
			await rememberedBrowser(user);
			advanceClock(policy.rememberDeviceMs);
			const browser = new BrowserCookies();
			await signIn(browser, user, { remember: false });
			expect(await (await browserCaller(api, browser)).account.devices()).toEqual([]);
			const expiresAt = Number((await devicesOf(user.id))[0]!.expires_at);
			await deleteExpiredAuthRows(api.db, expiresAt - 1);
			expect(await devicesOf(user.id)).toHaveLength(1);
			await deleteExpiredAuthRows(api.db, expiresAt);
			expect(await devicesOf(user.id)).toEqual([]);
		});
	});
});
