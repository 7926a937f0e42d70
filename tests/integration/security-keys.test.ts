// Security keys and passkeys through the procedures, with a software authenticator answering
// for ORIGIN: register (step-up), list, rename, remove, and the second step of a sign-in and a
// step-up. The attacks are in tests/security/webauthn.test.ts.
import { describe, expect, it, vi } from 'vitest';
import { advanceClock, errorOf, useApiHarness } from '../helpers/api-harness';
import { registerKey, storedKey, TEST_ORIGIN } from '../helpers/security-keys';
import { dialects } from '../../tools/databases';
import { seedUser } from '../../tools/sign-in';

vi.hoisted(() => {
	process.env.ORIGIN = 'https://admin.example.test';
});

describe.each(dialects)('security keys (%s)', (dialect) => {
	const api = useApiHarness(dialect);

	describe('registering', () => {
		it('a key registered in a stepped-up session is listed, audited and announced by mail', async () => {
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user));
			const { id } = await registerKey(caller, 'YubiKey 5');

			const { keys } = await caller.securityKeys.listMine();
			expect(keys).toEqual([
				expect.objectContaining({ id, name: 'YubiKey 5', transports: ['usb'], synced: false })
			]);
			const audit = await api.db
				.selectFrom('audit_log')
				.select(['event', 'details', 'actor_id'])
				.where('subject_id', '=', user.id)
				.where('event', '=', 'webauthn.added')
				.execute();
			expect(audit).toEqual([{ event: 'webauthn.added', details: 'YubiKey 5', actor_id: user.id }]);
			const mail = await api.sink.waitForMessage(
				(m) => m.envelopeTo.includes(user.email!) && /security key was added/.test(m.subject)
			);
			expect(mail.text).toContain('YubiKey 5');
		});

		it('the sign-in methods list the key once it is registered', async () => {
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user));
			expect((await api.login(user)).methods).not.toContain('webauthn');
			await registerKey(caller);
			// The new key is offered first; the emailed code is another way.
			expect((await api.login(user)).methods).toEqual(['webauthn', 'email']);
		});

		it('the same key cannot be registered twice (the options exclude it, the server refuses it)', async () => {
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user));
			const { key } = await registerKey(caller);
			const options = await caller.securityKeys.registrationOptions();
			expect(options.excludeCredentials?.map((c) => c.id)).toEqual([key.credentialId]);
			const error = await errorOf(
				caller.securityKeys.register({ name: 'Again', response: key.register(options) })
			);
			expect(error.code).toBe('BAD_REQUEST');
			expect(error.message).toBe('This security key is already registered');
			expect((await caller.securityKeys.listMine()).keys).toHaveLength(1);
		});

		it('no origin known (ORIGIN unset, no request): registration is refused, not guessed', async () => {
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user));
			const { relyingPartyFor } = await import('$lib/server/auth/relying-party');
			expect(relyingPartyFor({ webauthn: { origin: null } as never }, null)).toBeNull();
			expect(
				relyingPartyFor({ webauthn: { origin: null } as never }, new URL('http://localhost:5173/x'))
			).toEqual({ id: 'localhost', origin: 'http://localhost:5173' });
			expect(
				relyingPartyFor(
					{ webauthn: { origin: TEST_ORIGIN } as never },
					new URL('http://evil.test/')
				)
			).toEqual({ id: 'admin.example.test', origin: TEST_ORIGIN });
			// This suite's ORIGIN makes the procedures work without a request.
			expect((await caller.securityKeys.registrationOptions()).rp.id).toBe('admin.example.test');
		});
	});

	describe('signing in', () => {
		it('password, then the key: the pending session is replaced by a verified one', async () => {
			const user = await seedUser(api.db);
			const { key, id } = await registerKey(await api.callerFor(await api.signIn(user)));

			const started = await api.login(user);
			const pending = await api.callerFor(started.sessionToken!);
			const options = await pending.auth.webauthn.options();
			expect(options.allowCredentials?.map((c) => c.id)).toEqual([key.credentialId]);
			expect(options.rpId).toBe('admin.example.test');
			const verified = await pending.auth.webauthn.verify({ response: key.assert(options) });

			expect(verified.status).toBe('verified');
			expect(verified.sessionToken).not.toBe(started.sessionToken);
			expect(await api.isValid(started.sessionToken!)).toBe(false);
			const me = await (await api.callerFor(verified.sessionToken!)).auth.me();
			expect(me && 'user' in me && me.user.id).toBe(user.id);
			expect(await storedKey(api.db, id)).toEqual({
				counter: key.signCount,
				lastUsedAt: expect.any(Number)
			});
			const audit = await api.db
				.selectFrom('audit_log')
				.select(['event', 'details'])
				.where('subject_id', '=', user.id)
				.where('event', '=', 'otp.verified')
				.execute();
			expect(audit).toContainEqual({ event: 'otp.verified', details: 'webauthn' });
		});

		it('a key without a counter (both 0, as synced passkeys send) signs in again and again', async () => {
			const user = await seedUser(api.db);
			const signedIn = await api.callerFor(await api.signIn(user));
			const { key, id } = await registerKey(signedIn, 'Passkey', { counterStart: 0, synced: true });
			for (let round = 0; round < 2; round++) {
				const pending = await api.callerFor((await api.login(user)).sessionToken!);
				const options = await pending.auth.webauthn.options();
				const verified = await pending.auth.webauthn.verify({ response: key.assert(options) });
				expect(verified.status).toBe('verified');
			}
			expect((await storedKey(api.db, id))?.counter).toBe(0);
			expect((await signedIn.securityKeys.listMine()).keys[0]).toMatchObject({
				synced: true,
				backedUp: true
			});
		});
	});

	describe('what a use records', () => {
		it('"PIN or biometrics" is what the key did at its last use, not whether it ever did', async () => {
			const user = await seedUser(api.db);
			const signedIn = await api.callerFor(await api.signIn(user));
			const { key } = await registerKey(signedIn);
			const userVerified = async () =>
				(await signedIn.securityKeys.listMine()).keys.map((k) => k.userVerified);
			const signInWith = async (verifiesUser: boolean) => {
				const pending = await api.callerFor((await api.login(user)).sessionToken!);
				const options = await pending.auth.webauthn.options();
				const response = key.assert(options, { userVerified: verifiesUser });
				expect((await pending.auth.webauthn.verify({ response })).status).toBe('verified');
			};
			expect(await userVerified()).toEqual([true]); // the registration verified its user

			await signInWith(false);
			expect(await userVerified()).toEqual([false]);
			await signInWith(true);
			expect(await userVerified()).toEqual([true]);
		});
	});

	describe('stepping up', () => {
		it('the key refreshes an expired step-up', async () => {
			const user = await seedUser(api.db);
			const token = await api.signIn(user);
			const { key } = await registerKey(await api.callerFor(token));
			advanceClock(11 * 60_000);
			const stale = await api.callerFor(token);
			expect((await errorOf(stale.securityKeys.registrationOptions())).code).toBe('FORBIDDEN');

			const options = await stale.auth.webauthn.stepUpOptions();
			const { verifiedAt } = await stale.auth.webauthn.stepUpVerify({
				response: key.assert(options)
			});
			expect(verifiedAt.getTime()).toBe(Date.now());
			// The next request sees the fresh step-up (each call reads the session anew).
			const fresh = await api.callerFor(token);
			expect((await fresh.securityKeys.registrationOptions()).rp.id).toBe('admin.example.test');
			const audit = await api.db
				.selectFrom('audit_log')
				.select(['event', 'details'])
				.where('subject_id', '=', user.id)
				.where('event', '=', 'step_up.verified')
				.execute();
			expect(audit).toEqual([{ event: 'step_up.verified', details: 'webauthn' }]);
		});
	});

	describe('renaming and removing', () => {
		it('a renamed key keeps working; a removed one no longer signs in', async () => {
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user));
			const { key, id } = await registerKey(caller, 'Old name');
			const spare = await registerKey(caller, 'Spare');
			await caller.securityKeys.rename({ id, name: 'New name' });
			expect((await caller.securityKeys.listMine()).keys.map((k) => k.name)).toEqual([
				'New name',
				'Spare'
			]);
			let pending = await api.callerFor((await api.login(user)).sessionToken!);
			let options = await pending.auth.webauthn.options();
			expect((await pending.auth.webauthn.verify({ response: key.assert(options) })).status).toBe(
				'verified'
			);

			await caller.securityKeys.remove({ id });
			expect((await caller.securityKeys.listMine()).keys.map((k) => k.id)).toEqual([spare.id]);
			const events = await api.db
				.selectFrom('audit_log')
				.select(['event', 'details'])
				.where('subject_id', '=', user.id)
				.where('event', 'in', ['webauthn.renamed', 'webauthn.removed'])
				.orderBy('seq')
				.execute();
			expect(events).toEqual([
				{ event: 'webauthn.renamed', details: 'Old name -> New name' },
				{ event: 'webauthn.removed', details: 'New name' }
			]);
			await api.sink.waitForMessage(
				(m) => m.envelopeTo.includes(user.email!) && /security key was removed/.test(m.subject)
			);

			pending = await api.callerFor((await api.login(user)).sessionToken!);
			options = await pending.auth.webauthn.options();
			expect(options.allowCredentials?.map((c) => c.id)).toEqual([spare.key.credentialId]);
			const error = await errorOf(pending.auth.webauthn.verify({ response: key.assert(options) }));
			expect(error.code).toBe('UNAUTHORIZED');
			expect(error.message).toBe('This security key is not registered to your account');
			expect(await storedKey(api.db, id)).toBeNull();
		});

		it("another user's key id is not found for renaming or removing", async () => {
			const owner = await seedUser(api.db);
			const other = await seedUser(api.db);
			const { id } = await registerKey(await api.callerFor(await api.signIn(owner)));
			const caller = await api.callerFor(await api.signIn(other));
			expect((await errorOf(caller.securityKeys.rename({ id, name: 'Mine' }))).code).toBe(
				'NOT_FOUND'
			);
			expect((await errorOf(caller.securityKeys.remove({ id }))).code).toBe('NOT_FOUND');
			expect(await storedKey(api.db, id)).not.toBeNull();
		});
	});
});
