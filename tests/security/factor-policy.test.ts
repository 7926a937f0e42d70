// Getting round FACTOR_POLICY, on each dialect. A session signed in with an emailed code by an
// admin whose role must have an authenticator app (and who has none) is marked: it calls every
// procedure of the signed-in tiers, taken from the router (a new one is covered without anyone
// listing it), with an input the procedure would accept, and only the few that setting up a
// factor needs let it through. Once the admin has an authenticator, an emailed code is refused
// (no try counted, no mail) while a backup token still signs in.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import { getPolicy, type AuthPolicy } from '$lib/server/auth/policy';
import { EnrolmentRequiredError, FactorNotAllowedError } from '$lib/server/errors';
import { appRouter } from '$lib/server/trpc/router';
import { describeProcedures } from '../../scripts/api-reference';
import { attackInput, attackValues, inputSchemaOf, noValidInput } from '../helpers/attack-inputs';
import {
	codeRequired,
	errorOf,
	procedureAt,
	useApiHarness,
	type Caller
} from '../helpers/api-harness';
import { ACTIVITY_STAMPS, snapshotDatabase } from '../helpers/database-contents';
import { seedResourceRows, type CallTargets } from '../helpers/resource-calls';
import { failuresOf } from '../helpers/security-keys';
import { enrolTotp } from '../helpers/totp';
import { dialects } from '../../tools/databases';
import { isCodeMailTo, seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

vi.hoisted(() => {
	process.env.ORIGIN = 'https://admin.example.test';
});

const ADMIN_TOTP: AuthPolicy = { ...getPolicy(), factors: { admin: ['totp'] } };

// What a marked session may call besides the public procedures: reading and setting up an
// authenticator or a security key, and the step-up both need. A new exemption is a decision.
const ENROLMENT_MAY_CALL = [
	'auth.stepUp.methods',
	'auth.stepUp.request',
	'auth.stepUp.verify',
	'auth.webauthn.stepUpOptions',
	'auth.webauthn.stepUpVerify',
	'securityKeys.listMine',
	'securityKeys.register',
	'securityKeys.registrationOptions',
	'totp.begin',
	'totp.confirm',
	'totp.pending',
	'totp.status'
];

const procedures = describeProcedures(appRouter);
const signedIn = procedures.filter((p) => p.tier !== 'public' && p.tier !== 'pending');
const refused = signedIn.filter((p) => !p.enrolment);

describe.each(dialects)('factor policy on %s', (dialect) => {
	const api = useApiHarness(dialect, { auth: 'authenticate' });

	async function passwordStep(user: SeededUser) {
		const caller = await api.callerFor(null, { policy: ADMIN_TOTP });
		return codeRequired(
			await caller.auth.login({
				username: user.username,
				password: user.password,
				tokenType: 'bearer'
			})
		);
	}

	/** Password and emailed code under the policy: a verified session's token. */
	async function signInByEmail(user: SeededUser): Promise<string> {
		const started = await passwordStep(user);
		const { code } = await waitForCode(api.sink, user.email!);
		const caller = await api.callerFor(started.sessionToken!, { policy: ADMIN_TOTP });
		return (await caller.auth.verifyOtp({ code })).sessionToken!;
	}

	describe('a session that must set up a factor first', () => {
		let attacker: SeededUser;
		let marked: string;
		let values: Record<string, unknown>;
		let targets: CallTargets;
		const contents = () => snapshotDatabase(api.db, { ignore: ACTIVITY_STAMPS });
		const caller = (): Promise<Caller> => api.callerFor(marked, { policy: ADMIN_TOTP });

		beforeAll(async () => {
			attacker = await seedUser(api.db, { role: 'admin' });
			const victim = await seedUser(api.db);
			await api.signIn(victim);
			const session = await api.db
				.selectFrom('sessions')
				.select('public_id')
				.where('user_id', '=', victim.id)
				.executeTakeFirstOrThrow();
			values = attackValues({ id: victim.id, sessionPublicId: session.public_id });
			targets = await seedResourceRows(api.db, victim.id);
			marked = await signInByEmail(attacker);
		});

		it('the procedures it reaches are the enrolment ones [router meta agrees]', () => {
			const allowed = signedIn.filter((p) => p.enrolment).map((p) => p.path);
			expect(allowed.sort()).toEqual(ENROLMENT_MAY_CALL);
			expect(refused.length).toBeGreaterThan(30);
		});

		it('every other procedure is called with an input it would accept [so only the tier stops it]', () => {
			for (const procedure of refused) {
				if (noValidInput.some((entry) => entry.path === procedure.path)) continue;
				const schema = inputSchemaOf(procedure.path);
				const input = attackInput(procedure, values, targets);
				if (schema) expect(schema.safeParse(input).error, procedure.path).toBeUndefined();
				else expect(input, procedure.path).toBeUndefined();
			}
		});

		it.each(refused.map((p) => [p.path, p] as const))(
			'a marked session calls %s [FORBIDDEN "Set up an authenticator app first"; nothing changes]',
			async (_path, procedure) => {
				const before = await contents();
				const call = procedureAt(await caller(), procedure.path);
				const error = await errorOf(call(attackInput(procedure, values, targets)));
				expect(error.code).toBe('FORBIDDEN');
				expect(error.cause).toBeInstanceOf(EnrolmentRequiredError);
				expect(error.message).toBe('Set up an authenticator app first');
				expect(await contents()).toEqual(before);
			}
		);

		it('stepping up does not lift the mark [a fresh code is no authenticator]', async () => {
			const session = await caller();
			await session.auth.stepUp.request();
			const { code } = await waitForCode(api.sink, attacker.email!);
			await session.auth.stepUp.verify({ code });
			const after = await caller();
			expect((await errorOf(after.users.list({}))).cause).toBeInstanceOf(EnrolmentRequiredError);
			expect(await after.auth.me()).toMatchObject({ factors: { enrolmentRequired: true } });
		});

		it('the mark is not the person: a setup abandoned half-way leaves it [begin alone lifts nothing]', async () => {
			const session = await caller();
			await session.totp.begin();
			expect((await errorOf((await caller()).users.list({}))).code).toBe('FORBIDDEN');
		});
	});

	describe('once the person has the required factor', () => {
		async function adminWithTotp(): Promise<SeededUser> {
			const admin = await seedUser(api.db, { role: 'admin' });
			await enrolTotp(await api.callerFor(await signInByEmail(admin), { policy: ADMIN_TOTP }));
			return admin;
		}

		it('an emailed code, right or wrong, is refused [FORBIDDEN; no try counted; no code mailed; still pending]', async () => {
			const admin = await adminWithTotp();
			const mails = api.sink.messages.filter(isCodeMailTo(admin.email!)).length;
			const started = await passwordStep(admin);
			const pending = await api.callerFor(started.sessionToken!, { policy: ADMIN_TOTP });
			const failures = await failuresOf(api.db, admin.id);
			for (const code of ['123456', '000000']) {
				const error = await errorOf(pending.auth.verifyOtp({ code, method: 'email' }));
				expect(error.code).toBe('FORBIDDEN');
				expect(error.cause).toBeInstanceOf(FactorNotAllowedError);
			}
			expect((await errorOf(pending.auth.resendOtp())).cause).toBeInstanceOf(FactorNotAllowedError);
			expect(await failuresOf(api.db, admin.id)).toBe(failures);
			expect(api.sink.messages.filter(isCodeMailTo(admin.email!)).length).toBe(mails);
			expect(await pending.auth.me()).toMatchObject({ session: { state: 'pending_otp' } });
		});

		it('a code emailed before the authenticator was set up no longer signs in', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const started = await passwordStep(admin);
			const { code } = await waitForCode(api.sink, admin.email!);
			// Meanwhile, in another session, the admin sets up an authenticator.
			await enrolTotp(await api.callerFor(await signInByEmail(admin), { policy: ADMIN_TOTP }));
			const pending = await api.callerFor(started.sessionToken!, { policy: ADMIN_TOTP });
			const error = await errorOf(pending.auth.verifyOtp({ code }));
			expect(error.cause).toBeInstanceOf(FactorNotAllowedError);
		});

		it('a backup token still signs in, to a session that is not marked', async () => {
			const admin = await adminWithTotp();
			const [token] = await insertBackupTokens(api.db, admin.id, 1);
			const started = await passwordStep(admin);
			const pending = await api.callerFor(started.sessionToken!, { policy: ADMIN_TOTP });
			const verified = await pending.auth.verifyOtp({ code: token! });
			expect(verified.enrolmentRequired).toEqual([]);
			const session = await api.callerFor(verified.sessionToken!, { policy: ADMIN_TOTP });
			expect((await session.users.list({})).total).toBeGreaterThan(0);
		});
	});
});
