// Attacks on security keys (WebAuthn), on both databases, with a software authenticator that can
// be made to lie: a challenge answered twice, a challenge of another session, a key of another
// user, a wrong origin or RP ID, a forged signature, a counter going backwards, registration
// without step-up or with an API token. Each is refused with its own clear message, counted in
// the account's second-step budget where a sign-in or step-up try was made, and changes nothing
// else: no session promoted or refreshed, no key's counter moved, no key stored.
import { describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '$lib/server/auth/crypto';
import { advanceClock, errorOf, useApiHarness, type Caller } from '../helpers/api-harness';
import { snapshotDatabase } from '../helpers/database-contents';
import { failuresOf, registerKey, storedKey, TEST_ORIGIN } from '../helpers/security-keys';
import { dialects } from '../../tools/databases';
import { seedUser, type SeededUser } from '../../tools/sign-in';
import { otherKey, SoftAuthenticator } from '../../tools/soft-authenticator';

vi.hoisted(() => {
	process.env.ORIGIN = 'https://admin.example.test';
});

const REFUSED = {
	challenge: 'This security key request expired or was already used: try again',
	credential: 'This security key is not registered to your account',
	assertion: 'The security key’s answer did not verify (wrong site or signature)',
	counter:
		'This security key’s signature counter went backwards, so it may have been copied: use another way'
};

describe.each(dialects)('security key attacks (%s)', (dialect) => {
	// `authenticate`: callers take API tokens as well as sessions, as the session hook does.
	const api = useApiHarness(dialect, { auth: 'authenticate' });

	/** A user with a registered key, and a fresh pending session holding a challenge. */
	async function pendingWithKey(user?: SeededUser) {
		const owner = user ?? (await seedUser(api.db));
		const registered = await registerKey(await api.callerFor(await api.signIn(owner)));
		const pending = await startPending(owner);
		return { user: owner, ...registered, ...pending };
	}

	async function startPending(user: SeededUser) {
		const token = (await api.login(user)).sessionToken!;
		const caller = await api.callerFor(token);
		const options = await caller.auth.webauthn.options();
		return { token, caller, options };
	}

	/** What a refused answer must leave alone: sessions, keys, tokens, codes (tries are counted). */
	const untouched = () =>
		snapshotDatabase(api.db, {
			tables: ['sessions', 'webauthn_credentials', 'backup_tokens', 'email_otps'],
			ignore: ['sessions.last_seen_at', 'sessions.factor_attempts']
		});

	/** The tries the session has spent on factors other than the emailed code. */
	const sessionTriesOf = async (token: string) =>
		(
			await api.db
				.selectFrom('sessions')
				.select('factor_attempts')
				.where('id', '=', sha256Hex(token))
				.executeTakeFirstOrThrow()
		).factor_attempts;

	/** The refusal of a sign-in answer: its message, one failure counted, nothing else changed. */
	async function expectRefusedSignIn(
		attempt: { user: SeededUser; token: string; caller: Caller },
		response: unknown,
		message: string
	) {
		const before = await untouched();
		const failures = await failuresOf(api.db, attempt.user.id);
		const tries = await sessionTriesOf(attempt.token);
		const error = await errorOf(attempt.caller.auth.webauthn.verify({ response } as never));
		expect(error.code).toBe('UNAUTHORIZED');
		expect(error.message).toBe(message);
		expect(await failuresOf(api.db, attempt.user.id)).toBe(failures + 1);
		expect(await sessionTriesOf(attempt.token)).toBe(tries + 1);
		expect(await untouched()).toBe(before);
		expect(await api.isValid(attempt.token)).toBe(true);
		const audit = await api.db
			.selectFrom('audit_log')
			.select(['event', 'details'])
			.where('subject_id', '=', attempt.user.id)
			.where('event', '=', 'otp.failed')
			.execute();
		expect(audit).toContainEqual({ event: 'otp.failed', details: 'webauthn' });
		// One answer per challenge: after a refusal the session must ask again.
		const stale = await api.db
			.selectFrom('webauthn_challenges')
			.select('purpose')
			.where('session_id', '=', sha256Hex(attempt.token))
			.where('purpose', '=', 'sign-in')
			.execute();
		expect(stale).toEqual([]);
	}

	describe('a challenge used twice', () => {
		it('a step-up answer replayed in the same session is refused and counted', async () => {
			const user = await seedUser(api.db);
			const token = await api.signIn(user);
			const { key, id } = await registerKey(await api.callerFor(token));
			const caller = await api.callerFor(token);
			const options = await caller.auth.webauthn.stepUpOptions();
			const answer = key.assert(options);
			await caller.auth.webauthn.stepUpVerify({ response: answer });
			const used = await storedKey(api.db, id);
			const session = await api.db
				.selectFrom('sessions')
				.select('verified_at')
				.where('user_id', '=', user.id)
				.where('state', '=', 'verified')
				.execute();

			advanceClock(60_000);
			const error = await errorOf(caller.auth.webauthn.stepUpVerify({ response: answer }));
			expect(error.code).toBe('UNAUTHORIZED');
			expect(error.message).toBe(REFUSED.challenge);
			expect(await failuresOf(api.db, user.id)).toBe(1);
			expect(await storedKey(api.db, id)).toEqual(used);
			const after = await api.db
				.selectFrom('sessions')
				.select('verified_at')
				.where('user_id', '=', user.id)
				.where('state', '=', 'verified')
				.execute();
			expect(after, 'the step-up was not refreshed').toEqual(session);
			const failed = await api.db
				.selectFrom('audit_log')
				.select(['event', 'details'])
				.where('subject_id', '=', user.id)
				.where('event', '=', 'step_up.failed')
				.execute();
			expect(failed).toEqual([{ event: 'step_up.failed', details: 'webauthn' }]);
		});

		it('two answers racing for one challenge: exactly one promotes the session', async () => {
			const { user, key, token, caller, options } = await pendingWithKey();
			const answer = key.assert(options);
			const results = await Promise.allSettled([
				caller.auth.webauthn.verify({ response: answer }),
				caller.auth.webauthn.verify({ response: answer })
			]);
			expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
			expect(await api.isValid(token)).toBe(false);
			const sessions = await api.db
				.selectFrom('sessions')
				.select('state')
				.where('user_id', '=', user.id)
				.where('state', '=', 'verified')
				.execute();
			// One from signIn (registering the key), one from this race.
			expect(sessions).toHaveLength(2);
		});

		it('an expired challenge is refused', async () => {
			const { user, key, token, caller, options } = await pendingWithKey();
			advanceClock(5 * 60_000 + 1);
			await expectRefusedSignIn({ user, token, caller }, key.assert(options), REFUSED.challenge);
		});
	});

	it("a challenge from another session (another pending sign-in of the same account) is refused; that session's own still works", async () => {
		const { user, key, options: first, token: firstToken } = await pendingWithKey();
		const second = await startPending(user);
		const before = await api.db
			.selectFrom('webauthn_challenges')
			.select(['session_id', 'challenge_hash'])
			.where('purpose', '=', 'sign-in')
			.where('user_id', '=', user.id)
			.execute();
		expect(before).toHaveLength(2);

		// Session two answers with the challenge issued to session one.
		await expectRefusedSignIn({ user, ...second }, key.assert(first), REFUSED.challenge);
		const firstCaller = await api.callerFor(firstToken);
		const verified = await firstCaller.auth.webauthn.verify({ response: key.assert(first) });
		expect(verified.status).toBe('verified');
	});

	it("a key of another user is refused: it is not found, the victim's key is not touched", async () => {
		const victim = await pendingWithKey();
		const attacker = await pendingWithKey();
		const victimKey = await storedKey(api.db, victim.id);
		// The victim's key signs the attacker's challenge (an answer phished from the victim).
		await expectRefusedSignIn(attacker, victim.key.assert(attacker.options), REFUSED.credential);
		expect(await storedKey(api.db, victim.id)).toEqual(victimKey);
		expect(await failuresOf(api.db, victim.user.id)).toBe(0);
	});

	it("registering another user's key id (with one's own key pair) is refused", async () => {
		const victim = await pendingWithKey();
		const attacker = await seedUser(api.db);
		const caller = await api.callerFor(await api.signIn(attacker));
		const options = await caller.securityKeys.registrationOptions();
		const forged = new SoftAuthenticator({ origin: TEST_ORIGIN });
		Object.defineProperty(forged, 'credentialId', { value: victim.key.credentialId });
		const before = await untouched();
		const error = await errorOf(
			caller.securityKeys.register({ name: 'Stolen', response: forged.register(options) })
		);
		expect(error.code).toBe('BAD_REQUEST');
		expect(error.message).toBe('This security key is already registered');
		expect(await untouched()).toBe(before);
	});

	describe('a wrong origin or RP ID', () => {
		it.each([
			['an answer made on another origin', { origin: 'https://evil.example' }],
			['an answer for another RP ID', { rpId: 'evil.example' }],
			['an answer from the right origin over plain http', { origin: 'http://admin.example.test' }],
			['an answer whose signature another key made', { signWith: otherKey() }],
			['an answer without user presence', { absent: true }]
		])('%s is refused and counted', async (_name, bend) => {
			const attempt = await pendingWithKey();
			await expectRefusedSignIn(
				attempt,
				attempt.key.assert(attempt.options, bend),
				REFUSED.assertion
			);
		});

		it.each([
			['another origin', { origin: 'https://evil.example' }],
			['another RP ID', { rpId: 'evil.example' }]
		])('a registration for %s is refused and stores nothing', async (_name, bend) => {
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user));
			const options = await caller.securityKeys.registrationOptions();
			const key = new SoftAuthenticator({ origin: TEST_ORIGIN });
			const before = await untouched();
			const error = await errorOf(
				caller.securityKeys.register({ name: 'Evil', response: key.register(options, bend) })
			);
			expect(error.code).toBe('BAD_REQUEST');
			expect(error.message).toBe(
				'The security key’s answer did not verify (wrong site, or not a valid key)'
			);
			expect(await untouched()).toBe(before);
			// The refused answer ended the challenge: the right answer now needs a new one.
			const retry = await errorOf(
				caller.securityKeys.register({ name: 'Real', response: key.register(options) })
			);
			expect(retry.message).toBe(
				'This registration request expired or was already used: start again'
			);
		});
	});

	describe('a counter going backwards', () => {
		it.each([
			['lower than the stored one', (stored: number) => stored - 1],
			['equal to the stored one (a replayed or cloned key)', (stored: number) => stored],
			['of 0 once the key has counted (it may not stop counting)', () => 0]
		])('a counter %s is refused', async (_name, counterFor) => {
			const attempt = await pendingWithKey();
			// One good sign-in first, so the stored counter is above 0.
			await attempt.caller.auth.webauthn.verify({
				response: attempt.key.assert(attempt.options)
			});
			const stored = (await storedKey(api.db, attempt.id))!.counter;
			expect(stored).toBeGreaterThan(1);
			const next = await startPending(attempt.user);
			await expectRefusedSignIn(
				{ user: attempt.user, ...next },
				attempt.key.assert(next.options, { counter: counterFor(stored) }),
				REFUSED.counter
			);
		});
	});

	describe('registration without step-up', () => {
		it('a session whose step-up ran out may neither ask for options nor register', async () => {
			const user = await seedUser(api.db);
			const token = await api.signIn(user);
			const fresh = await api.callerFor(token);
			const options = await fresh.securityKeys.registrationOptions();
			advanceClock(11 * 60_000);
			const caller = await api.callerFor(token);
			const key = new SoftAuthenticator({ origin: TEST_ORIGIN });
			const before = await untouched();
			for (const call of [
				caller.securityKeys.registrationOptions(),
				caller.securityKeys.register({ name: 'Late', response: key.register(options) })
			]) {
				const error = await errorOf(call);
				expect(error.code).toBe('FORBIDDEN');
				expect(error.message).toBe('Confirm with a fresh code first');
			}
			expect(await untouched()).toBe(before);
			expect(await failuresOf(api.db, user.id), 'no second-step try was made').toBe(0);
		});

		it('an API token may list keys but never register, rename or remove one', async () => {
			const user = await seedUser(api.db);
			const session = await api.callerFor(await api.signIn(user));
			const { id } = await registerKey(session);
			const { token } = await session.apiTokens.create({
				name: 'robot',
				scopes: ['read', 'write'],
				expiresInDays: null
			});
			const caller = await api.callerFor(token);
			expect((await caller.securityKeys.listMine()).keys.map((k) => k.id)).toEqual([id]);
			const before = await untouched();
			for (const call of [
				caller.securityKeys.registrationOptions(),
				caller.securityKeys.rename({ id, name: 'Robot' }),
				caller.securityKeys.remove({ id })
			]) {
				const error = await errorOf(call);
				expect(error.code).toBe('FORBIDDEN');
				expect(error.message).toMatch(/^API tokens cannot call this procedure/);
			}
			expect(await untouched()).toBe(before);
		});
	});

	it('wrong answers spend the budget codes spend: after the free tries, a wait', async () => {
		const attempt = await pendingWithKey();
		// The clock stands still: the wait after the fifth failure cannot run out mid-test.
		advanceClock(0);
		const messages: string[] = [];
		for (let i = 0; i < 5; i++) {
			const options = await attempt.caller.auth.webauthn.options();
			const refused = await errorOf(
				attempt.caller.auth.webauthn.verify({
					response: attempt.key.assert(options, { origin: 'https://evil.example' })
				})
			);
			messages.push(refused.message);
		}
		// The fifth wrong answer also used up this sign-in's tries: it has ended.
		expect(messages.slice(0, 4)).toEqual(Array(4).fill(REFUSED.assertion));
		expect(messages[4]).toMatch(/^Too many wrong tries: this sign-in has ended/);
		expect(await api.isValid(attempt.token)).toBe(false);
		// A request that passed the session check just before the end gets no challenge (and no 500).
		const late = await errorOf(attempt.caller.auth.webauthn.options());
		expect([late.code, late.message]).toEqual([
			'BAD_REQUEST',
			'This sign-in is over: sign in again'
		]);
		// A new sign-in has tries of its own, but the account's wait holds even a right answer.
		const next = await startPending(attempt.user);
		const error = await errorOf(
			next.caller.auth.webauthn.verify({ response: attempt.key.assert(next.options) })
		);
		expect(error.code).toBe('TOO_MANY_REQUESTS');
		expect(await failuresOf(api.db, attempt.user.id)).toBe(5);
		expect(await api.isValid(next.token)).toBe(true);
	});
});
