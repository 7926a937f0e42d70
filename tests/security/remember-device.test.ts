// Attacks on "Don't ask again on this device", on each dialect: a device cookie that is someone
// else's, outlived a password change, forged, expired or forgotten must never stand in for the
// second step; a session a device opened must still step up; REMEMBER_DEVICE_DAYS=0 ignores every
// cookie. Each refused cookie leaves the code step asked (a code mailed) and changes nothing.
import { createHmac, randomBytes } from 'node:crypto';
import type { KyselyPlugin } from 'kysely';
import { describe, expect, it } from 'vitest';
import { derivedKey } from '$lib/server/auth/crypto';
import { getPolicy, type AuthPolicy } from '$lib/server/auth/policy';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import { StepUpRequiredError } from '$lib/server/errors';
import { advanceClock, errorOf, useApiHarness } from '../helpers/api-harness';
import { BrowserCookies, browserCaller, type BrowserOptions } from '../helpers/browser-caller';
import { snapshotDatabase } from '../helpers/database-contents';
import { dialects } from '../../tools/databases';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

const policy = getPolicy();
const DEVICE_COOKIE = 'remembered_device';
const OFF: AuthPolicy = { ...policy, rememberDeviceMs: 0 };

/** Counts the statements that name `table`, to show a refusal needed none. */
function queriesOn(table: string) {
	let count = 0;
	const plugin: KyselyPlugin = {
		transformQuery({ node }) {
			if (JSON.stringify(node).includes(`"${table}"`)) count++;
			return node;
		},
		transformResult: async ({ result }) => result
	};
	return {
		plugin,
		get count() {
			return count;
		}
	};
}

/** `<token>.<mac>` with the app's own key, as only the server can make it (AUTH_SECRET). */
function signedFor(userId: string, token: string, secret?: string): string {
	const key = derivedKey('remembered-device-cookie', secret);
	const mac = createHmac('sha256', key).update(`${userId}\0${token}`).digest('base64url');
	return `${token}.${mac}`;
}

describe.each(dialects)('remembered devices under attack on %s', (dialect) => {
	const api = useApiHarness(dialect, { auth: 'authenticate' });

	async function passwordStep(browser: BrowserCookies, user: SeededUser, options?: BrowserOptions) {
		const caller = await browserCaller(api, browser, options);
		return caller.auth.login({ username: user.username, password: user.password });
	}

	async function signIn(
		browser: BrowserCookies,
		user: SeededUser,
		{ remember = true, ...options }: BrowserOptions & { remember?: boolean } = {}
	) {
		expect((await passwordStep(browser, user, options)).status).toBe('otp_required');
		const { code } = await waitForCode(api.sink, user.email!);
		await (
			await browserCaller(api, browser, options)
		).auth.verifyOtp({
			code,
			rememberDevice: remember
		});
	}

	/** A browser remembered for the user and signed out: only its device cookie is left. */
	async function rememberedBrowser(user: SeededUser): Promise<BrowserCookies> {
		const browser = new BrowserCookies();
		await signIn(browser, user);
		await (await browserCaller(api, browser)).auth.logout();
		expect(browser.get(DEVICE_COOKIE)).toBeDefined();
		return browser;
	}

	/** What a refused cookie must not change: the devices, and the user's verified sessions. */
	async function stateOf(userId: string) {
		const verified = await api.db
			.selectFrom('sessions')
			.select('public_id')
			.where('user_id', '=', userId)
			.where('state', '=', 'verified')
			.orderBy('public_id')
			.execute();
		return {
			devices: await snapshotDatabase(api.db, { tables: ['remembered_devices'] }),
			verified
		};
	}

	/**
	 * The password step with the browser's cookies: the code must be asked (and mailed), the
	 * device cookie left as it was, and nothing changed.
	 */
	async function expectCodeAsked(
		browser: BrowserCookies,
		user: SeededUser,
		options?: BrowserOptions
	): Promise<void> {
		const cookie = browser.get(DEVICE_COOKIE);
		const before = await stateOf(user.id);
		const answer = await passwordStep(browser, user, options);
		expect(answer).toMatchObject({ status: 'otp_required', codeSent: true });
		await waitForCode(api.sink, user.email!);
		expect(await stateOf(user.id)).toEqual(before);
		expect(browser.get(DEVICE_COOKIE)).toBe(cookie);
		const me = await (await browserCaller(api, browser, options)).auth.me();
		expect(me?.session.state).toBe('pending_otp');
	}

	it('a genuine cookie skips the code (the control for every case below)', async () => {
		const user = await seedUser(api.db);
		const browser = await rememberedBrowser(user);
		expect((await passwordStep(browser, user)).status).toBe('verified');
	});

	describe('a cookie from another user', () => {
		it("is ignored at another account's sign-in, and that account's row is untouched", async () => {
			const owner = await seedUser(api.db);
			const other = await seedUser(api.db);
			const browser = await rememberedBrowser(owner);
			const ownerBefore = await stateOf(owner.id);
			await expectCodeAsked(browser, other);
			expect(await stateOf(owner.id)).toEqual(ownerBefore);
		});

		it('is refused by the row too: a valid signature for the account does not make it theirs', async () => {
			const owner = await seedUser(api.db);
			const other = await seedUser(api.db);
			const browser = await rememberedBrowser(owner);
			const [token] = browser.get(DEVICE_COOKIE)!.split('.');
			// Only someone holding AUTH_SECRET could sign this; the row's owner still decides.
			browser.set(DEVICE_COOKIE, signedFor(other.id, token!));
			await expectCodeAsked(browser, other);
		});
	});

	it('a cookie after a password change is ignored', async () => {
		const user = await seedUser(api.db);
		const browser = await rememberedBrowser(user);
		const elsewhere = new BrowserCookies();
		await signIn(elsewhere, user, { remember: false });
		const next = 'a brand new passphrase';
		await (
			await browserCaller(api, elsewhere)
		).account.changePassword({ current: user.password, next });
		await expectCodeAsked(browser, { ...user, password: next });
	});

	describe('a forged cookie', () => {
		const token = () => randomBytes(32).toString('base64url');
		it.each([
			['garbage', () => 'not-a-device-cookie'],
			['a random token and MAC', () => `${token()}.${token()}`],
			[
				'a MAC made with another secret',
				(userId: string) => signedFor(userId, token(), 'x'.repeat(48))
			],
			['a real token with one MAC character changed', null]
		] as const)('%s: refused before any query, the code asked', async (_name, forge) => {
			const user = await seedUser(api.db);
			const browser = await rememberedBrowser(user);
			if (forge) browser.set(DEVICE_COOKIE, forge(user.id));
			else {
				const real = browser.get(DEVICE_COOKIE)!;
				const last = real.at(-2) === 'A' ? 'B' : 'A';
				browser.set(DEVICE_COOKIE, real.slice(0, -2) + last + real.at(-1));
			}
			const counted = queriesOn('remembered_devices');
			await expectCodeAsked(browser, user, { db: api.db.withPlugin(counted.plugin) });
			expect(counted.count).toBe(0);
		});

		it('the query counter sees a genuine cookie’s lookup (so zero above means something)', async () => {
			const user = await seedUser(api.db);
			const browser = await rememberedBrowser(user);
			const counted = queriesOn('remembered_devices');
			const answer = await passwordStep(browser, user, { db: api.db.withPlugin(counted.plugin) });
			expect(answer.status).toBe('verified');
			expect(counted.count).toBeGreaterThan(0);
		});
	});

	it('an expired cookie is ignored', async () => {
		const user = await seedUser(api.db);
		const browser = await rememberedBrowser(user);
		advanceClock(policy.rememberDeviceMs);
		await expectCodeAsked(browser, user);
	});

	it('a forgotten (revoked) device is ignored', async () => {
		const user = await seedUser(api.db);
		const browser = await rememberedBrowser(user);
		const [device] = await api.db
			.selectFrom('remembered_devices')
			.select('public_id')
			.where('user_id', '=', user.id)
			.execute();
		const elsewhere = new BrowserCookies();
		await signIn(elsewhere, user, { remember: false });
		await (
			await browserCaller(api, elsewhere)
		).account.forgetDevice({ publicId: device!.public_id });
		await expectCodeAsked(browser, user);
	});

	describe('step-up', () => {
		it('still asks for a code in a session a remembered device opened', async () => {
			const user = await seedUser(api.db);
			const browser = await rememberedBrowser(user);
			expect((await passwordStep(browser, user)).status).toBe('verified');
			const caller = await browserCaller(api, browser);
			const refused = await errorOf(caller.backupTokens.generateMine({ count: 5 }));
			expect(refused.code).toBe('FORBIDDEN');
			expect(refused.cause).toBeInstanceOf(StepUpRequiredError);
			expect(
				await api.db
					.selectFrom('backup_tokens')
					.select('id')
					.where('user_id', '=', user.id)
					.execute()
			).toEqual([]);

			// The code it asks for works, and then the change does.
			await caller.auth.stepUp.request();
			const { code } = await waitForCode(api.sink, user.email!);
			await caller.auth.stepUp.verify({ code });
			const stepped = await browserCaller(api, browser);
			expect((await stepped.backupTokens.generateMine({ count: 5 })).tokens).toHaveLength(5);
		});

		it('takes no backup token minted after the session opened, but one minted before', async () => {
			const user = await seedUser(api.db);
			const browser = await rememberedBrowser(user);
			const [before] = await insertBackupTokens(api.db, user.id, 1, Date.now() - 1000);
			advanceClock(1000);
			expect((await passwordStep(browser, user)).status).toBe('verified');
			advanceClock(1000);
			const [after] = await insertBackupTokens(api.db, user.id, 1, Date.now());
			const caller = await browserCaller(api, browser);
			expect((await errorOf(caller.auth.stepUp.verify({ code: after! }))).code).toBe(
				'UNAUTHORIZED'
			);
			const verifiedAt = await caller.auth.stepUp.verify({ code: before! });
			expect(verifiedAt.verifiedAt).toBeInstanceOf(Date);
		});
	});

	describe('REMEMBER_DEVICE_DAYS=0', () => {
		it('ignores a cookie remembered before it was turned off', async () => {
			const user = await seedUser(api.db);
			const browser = await rememberedBrowser(user);
			await expectCodeAsked(browser, user, { policy: OFF });
		});

		it('remembers nothing when the box is ticked anyway', async () => {
			const user = await seedUser(api.db);
			const browser = new BrowserCookies();
			await signIn(browser, user, { policy: OFF });
			expect(browser.get(DEVICE_COOKIE)).toBeUndefined();
			const rows = await api.db
				.selectFrom('remembered_devices')
				.select('id')
				.where('user_id', '=', user.id)
				.execute();
			expect(rows).toEqual([]);
		});
	});
});
