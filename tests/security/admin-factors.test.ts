// Attacks on an admin's view and reset of someone's second factors, on each dialect: a member can
// neither read nor reset anyone's (their own included), a session without a fresh code cannot
// reset, no API token can (whatever its scopes), an unknown id is a clear NOT_FOUND, and the view
// never carries a secret, a public key, a credential id or a token hash. Each refusal changes
// nothing. Two resets at once: exactly one removes, audits and mails.
import { describe, expect, it, vi } from 'vitest';
import { getPolicy } from '$lib/server/auth/policy';
import { ApiTokenNotAllowedError, StepUpRequiredError } from '$lib/server/errors';
import { advanceClock, errorOf, useApiHarness, type Caller } from '../helpers/api-harness';
import { ACTIVITY_STAMPS, snapshotDatabase } from '../helpers/database-contents';
import { factorRows, userWithFactors } from '../helpers/user-factors';
import { dialects } from '../../tools/databases';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

vi.hoisted(() => {
	process.env.ORIGIN = 'https://admin.example.test';
});

const policy = getPolicy();
const NOBODY = 'aaaaaaaaaaaaaaaa'; // well-formed, belongs to nobody
const RESET_SUBJECT = 'The sign-in factors of your Admin account were reset';

describe.each(dialects)('admin factor attacks on %s', (dialect) => {
	const api = useApiHarness(dialect, { auth: 'authenticate' });

	const contents = () => snapshotDatabase(api.db, { ignore: ACTIVITY_STAMPS });

	async function adminSession(): Promise<{ admin: SeededUser; token: string; caller: Caller }> {
		const admin = await seedUser(api.db, { role: 'admin' });
		const token = await api.signIn(admin);
		return { admin, token, caller: await api.callerFor(token) };
	}

	/** The call is refused with `code` (and, if given, for that reason) and changes nothing. */
	async function expectRefusal(
		call: () => Promise<unknown>,
		code: string,
		cause?: new (...args: never[]) => Error
	): Promise<void> {
		const before = await contents();
		const error = await errorOf(call());
		expect(error.code).toBe(code);
		if (cause) expect(error.cause).toBeInstanceOf(cause);
		expect(await contents()).toBe(before);
	}

	it('a member can neither read nor reset anyone’s factors, their own included', async () => {
		const { user: target } = await userWithFactors(api);
		const member = await userWithFactors(api);
		for (const id of [target.id, member.user.id]) {
			await expectRefusal(() => member.caller.users.factors({ id }), 'FORBIDDEN');
			await expectRefusal(() => member.caller.users.resetFactors({ id }), 'FORBIDDEN');
		}
		expect(await factorRows(api.db, target.id)).toMatchObject({
			totp: 1,
			securityKeys: 2,
			devices: 1
		});
	});

	it('without a fresh code the reset is refused and changes nothing; after step-up it works', async () => {
		const { user: target } = await userWithFactors(api);
		const { admin, token } = await adminSession();
		advanceClock(policy.stepUpWindowMs + 1000);
		const stale = await api.callerFor(token);
		await expectRefusal(
			() => stale.users.resetFactors({ id: target.id }),
			'FORBIDDEN',
			StepUpRequiredError
		);
		await expectRefusal(
			() => stale.users.resetFactors({ id: target.id, kinds: ['totp'] }),
			'FORBIDDEN',
			StepUpRequiredError
		);
		// Reading needs no fresh code.
		expect((await stale.users.factors({ id: target.id })).totp.enabled).toBe(true);

		await stale.auth.stepUp.request();
		const { code } = await waitForCode(api.sink, admin.email!);
		await stale.auth.stepUp.verify({ code });
		const fresh = await api.callerFor(token);
		expect(await fresh.users.resetFactors({ id: target.id })).toMatchObject({ totp: true });
	});

	it('an API token is refused the reset whatever its scopes; users.read lets it read', async () => {
		const { user: target } = await userWithFactors(api);
		const { caller } = await adminSession();
		const { token: everything } = await caller.apiTokens.create({
			name: 'everything',
			scopes: ['read', 'write'],
			expiresInDays: 1
		});
		const { token: auditOnly } = await caller.apiTokens.create({
			name: 'audit only',
			scopes: ['audit.read'],
			expiresInDays: 1
		});
		const strong = await api.callerFor(everything);
		const narrow = await api.callerFor(auditOnly);
		// Their first use is audited; after it, a refused call writes nothing.
		await strong.auth.me();
		await narrow.auth.me();

		await expectRefusal(
			() => strong.users.resetFactors({ id: target.id }),
			'FORBIDDEN',
			ApiTokenNotAllowedError
		);
		await expectRefusal(() => narrow.users.factors({ id: target.id }), 'FORBIDDEN');
		expect((await strong.users.factors({ id: target.id })).securityKeys).toHaveLength(2);
		expect(await factorRows(api.db, target.id)).toMatchObject({ totp: 1, securityKeys: 2 });
	});

	it('an unknown user id is NOT_FOUND for the read and the reset, and nothing changes', async () => {
		const { caller } = await adminSession();
		await expectRefusal(() => caller.users.factors({ id: NOBODY }), 'NOT_FOUND');
		await expectRefusal(() => caller.users.resetFactors({ id: NOBODY }), 'NOT_FOUND');
		await expectRefusal(
			() => caller.users.resetFactors({ id: NOBODY, kinds: ['webauthn'] }),
			'NOT_FOUND'
		);
	});

	it('the view carries no secret, public key, credential id or token hash', async () => {
		const { user, secret, credentialIds, deviceCookie, backupTokens } = await userWithFactors(api);
		const { caller } = await adminSession();
		const shown = JSON.stringify(await caller.users.factors({ id: user.id }));

		const totp = await api.db
			.selectFrom('totp_factors')
			.select('secret_box')
			.where('user_id', '=', user.id)
			.execute();
		const keys = await api.db
			.selectFrom('webauthn_credentials')
			.select(['credential_id', 'credential_id_hash', 'public_key'])
			.where('user_id', '=', user.id)
			.execute();
		const devices = await api.db
			.selectFrom('remembered_devices')
			.select('token_hash')
			.where('user_id', '=', user.id)
			.execute();
		const tokenHashes = await api.db
			.selectFrom('backup_tokens')
			.selectAll()
			.where('user_id', '=', user.id)
			.execute();
		const secrets = [
			secret,
			...totp.map((row) => row.secret_box),
			...credentialIds,
			...keys.flatMap((row) => [row.credential_id, row.credential_id_hash, row.public_key]),
			...devices.map((row) => row.token_hash),
			...deviceCookie.split('.'),
			...backupTokens,
			...tokenHashes.flatMap((row) =>
				Object.values(row).filter((value): value is string => typeof value === 'string')
			)
		].filter((value) => value !== user.id);
		expect(secrets.length).toBeGreaterThan(10);
		for (const value of secrets) expect(shown).not.toContain(value);
	});

	it('two resets at once: one removes, audits and mails; the other finds nothing', async () => {
		const { user: target } = await userWithFactors(api);
		const first = await adminSession();
		const second = await adminSession();
		const mark = api.sink.messages.length;
		const results = await Promise.all([
			first.caller.users.resetFactors({ id: target.id }),
			second.caller.users.resetFactors({ id: target.id })
		]);
		expect(results).toEqual(
			expect.arrayContaining([
				{ totp: true, securityKeys: 2, devices: 1 },
				{ totp: false, securityKeys: 0, devices: 0 }
			])
		);
		const audit = await api.db
			.selectFrom('audit_log')
			.select('event')
			.where('subject_id', '=', target.id)
			.where('event', '=', 'factors.reset')
			.execute();
		expect(audit).toHaveLength(1);
		await api.sink.waitForMessage(
			(m) => m.subject === RESET_SUBJECT && m.envelopeTo.includes(target.email!)
		);
		const notices = api.sink.messages
			.slice(mark)
			.filter((m) => m.subject === RESET_SUBJECT && m.envelopeTo.includes(target.email!));
		expect(notices).toHaveLength(1);
	});
});
