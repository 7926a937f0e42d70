// Getting round step-up: a session whose last code is older than the step-up window (a stolen
// one, say) must not give itself a fresh one (minting backup tokens and spending them), move
// where codes go (a new two-factor address, the account email), or act as a person where only a
// person may (an API token creating an admin or switching admins off). Every refusal changes
// nothing; every change of address tells the address codes went to before.
import { describe, expect, it } from 'vitest';
import { getPolicy } from '$lib/server/auth/policy';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import { maskEmail } from '$lib/server/mail';
import { StepUpRequiredError } from '$lib/server/errors';
import { advanceClock, errorOf, useApiHarness, type Caller } from '../helpers/api-harness';
import { ACTIVITY_STAMPS, snapshotDatabase } from '../helpers/database-contents';
import { dialects } from '../../tools/databases';
import {
	policyWithOrigin,
	waitForConfirmToken,
	waitForRequestNotice
} from '../helpers/email-change';
import {
	NEW_ADDRESS_SUBJECT,
	seedUser,
	waitForAddressCode,
	waitForCode,
	type SeededUser
} from '../../tools/sign-in';
import type { CapturedMail } from '../../tools/smtp-sink';

const policy = getPolicy();
const HOUR = 60 * 60 * 1000;
const ADDRESS_CHANGED = 'The address of your Admin account changed';
const TOKENS_MINTED = 'New backup tokens for Admin';

describe.each(dialects)('step-up bypasses on %s', (dialect) => {
	const api = useApiHarness(dialect, { auth: 'authenticate' });

	/** A verified session whose step-up window has run out (its last code is 10 min old). */
	async function staleSession(user: SeededUser): Promise<{ token: string; caller: Caller }> {
		const token = await api.signIn(user);
		advanceClock(policy.stepUpWindowMs + 1000);
		return { token, caller: await api.callerFor(token) };
	}

	/** Asks for a step-up code and verifies it; returns a caller that sees the fresh code. */
	async function stepUp(token: string, user: SeededUser): Promise<Caller> {
		const caller = await api.callerFor(token);
		await caller.auth.stepUp.request();
		const { code } = await waitForCode(api.sink, user.email!);
		await caller.auth.stepUp.verify({ code });
		return api.callerFor(token);
	}

	/** The call must be refused for want of a fresh code, and change nothing at all. */
	async function expectStepUpRefusal(call: () => Promise<unknown>): Promise<void> {
		const before = await snapshotDatabase(api.db, { ignore: ACTIVITY_STAMPS });
		const error = await errorOf(call());
		expect(error.code).toBe('FORBIDDEN');
		expect(error.cause).toBeInstanceOf(StepUpRequiredError);
		expect(await snapshotDatabase(api.db, { ignore: ACTIVITY_STAMPS })).toEqual(before);
	}

	function mailsTo(address: string, subject: string, since: number): CapturedMail[] {
		return api.sink.messages
			.slice(since)
			.filter((mail) => mail.subject === subject && mail.envelopeTo.includes(address));
	}

	/** A personal API token of the user, created in a fresh session. */
	async function apiTokenOf(user: SeededUser): Promise<string> {
		const caller = await api.callerFor(await api.signIn(user));
		const created = await caller.apiTokens.create({
			name: 'script',
			scopes: ['read', 'write'],
			expiresInDays: 30
		});
		return created.token;
	}

	describe('backup tokens as step-up', () => {
		it('a session past its step-up window mints itself backup tokens [FORBIDDEN step-up; no token, no audit row]', async () => {
			const user = await seedUser(api.db);
			const { caller } = await staleSession(user);
			await expectStepUpRefusal(() => caller.backupTokens.generateMine({ count: 10 }));
		});

		it('a backup token minted after the session last verified a code, offered as step-up [UNAUTHORIZED; the token is not spent; setRole still FORBIDDEN]', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const member = await seedUser(api.db);
			const { caller } = await staleSession(admin);
			// Minted now: by another admin, or on the command line, after this session's last code.
			const [token] = await insertBackupTokens(api.db, admin.id, 1);
			const refused = await errorOf(caller.auth.stepUp.verify({ code: token! }));
			expect(refused.code).toBe('UNAUTHORIZED');
			const held = await api.db
				.selectFrom('backup_tokens')
				.select('id')
				.where('user_id', '=', admin.id)
				.execute();
			expect(held).toHaveLength(1);
			const setRole = await errorOf(caller.users.setRole({ id: member.id, role: 'admin' }));
			expect(setRole.cause).toBeInstanceOf(StepUpRequiredError);

			// The same token still completes a sign-in, where it belongs.
			const started = await api.login(admin);
			await waitForCode(api.sink, admin.email!);
			const verified = await (
				await api.callerFor(started.sessionToken!)
			).auth.verifyOtp({
				code: token!
			});
			expect(verified.status).toBe('verified');
		});

		it('a backup token minted before the session last verified a code, offered as step-up [accepted: tokens the owner already held still work]', async () => {
			const user = await seedUser(api.db);
			const [token] = await insertBackupTokens(api.db, user.id, 1);
			advanceClock(1000);
			const stale = await staleSession(user);
			await stale.caller.auth.stepUp.verify({ code: token! });
			const caller = await api.callerFor(stale.token);
			const tokens = await caller.backupTokens.generateMine({ count: 5 });
			expect(tokens.tokens).toHaveLength(5);
		});

		it('minting with a fresh code [the tokens, once; the owner is mailed a notice]', async () => {
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user));
			const mark = api.sink.messages.length;
			const { tokens } = await caller.backupTokens.generateMine({ count: 10 });
			expect(tokens).toHaveLength(10);
			const notice = await api.sink.waitForMessage(
				(mail) => mail.subject === TOKENS_MINTED && mail.envelopeTo.includes(user.email!)
			);
			expect(notice.text).toContain('10 new backup tokens');
			expect(tokens.some((token) => notice.text.includes(token))).toBe(false);
			expect(mailsTo(user.email!, TOKENS_MINTED, mark)).toHaveLength(1);
		});
	});

	describe('moving where codes go', () => {
		it('twoFactor.requestEmail with a stale step-up [FORBIDDEN; no mail to the new address; nothing stored]', async () => {
			const user = await seedUser(api.db);
			const { caller } = await staleSession(user);
			const mark = api.sink.messages.length;
			const target = `thief-${user.username}@example.net`;
			await expectStepUpRefusal(() => caller.twoFactor.requestEmail({ email: target }));
			expect(mailsTo(target, NEW_ADDRESS_SUBJECT, mark)).toEqual([]);
		});

		it('twoFactor.confirmEmail after the step-up window ran out [FORBIDDEN; codes still go to the old address]', async () => {
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user));
			const target = `later-${user.username}@example.net`;
			await caller.twoFactor.requestEmail({ email: target });
			const { code } = await waitForAddressCode(api.sink, target);
			advanceClock(policy.stepUpWindowMs + 1000);
			await expectStepUpRefusal(() => caller.twoFactor.confirmEmail({ code }));
			expect((await caller.users.get({ id: user.id })).otpEmail).toBeNull();
		});

		it('twoFactor.clearEmail with a stale step-up [FORBIDDEN; the two-factor address stays]', async () => {
			const user = await seedUser(api.db);
			await api.db
				.updateTable('users')
				.set({ otp_email: `own-${user.username}@example.org`, otp_email_confirmed_at: Date.now() })
				.where('id', '=', user.id)
				.execute();
			const { caller } = await staleSession({ ...user, email: `own-${user.username}@example.org` });
			await expectStepUpRefusal(() => caller.twoFactor.clearEmail());
		});

		it("users.updateProfile moving an admin's own account email, and another admin's, with a stale step-up [FORBIDDEN; both emails unchanged]", async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const other = await seedUser(api.db, { role: 'admin' });
			const { caller } = await staleSession(admin);
			for (const victim of [admin, other]) {
				const profile = {
					id: victim.id,
					username: victim.username,
					email: `moved-${victim.username}@example.net`
				};
				await expectStepUpRefusal(() => caller.users.updateProfile(profile));
			}
		});

		it('a confirmed new two-factor address [the previous address is told, with the new one masked]', async () => {
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user));
			const target = `second-${user.username}@example.org`;
			await caller.twoFactor.requestEmail({ email: target });
			const { code } = await waitForAddressCode(api.sink, target);
			const mark = api.sink.messages.length;
			await caller.twoFactor.confirmEmail({ code });
			const notice = await api.sink.waitForMessage(
				(mail) => mail.subject === ADDRESS_CHANGED && mail.envelopeTo.includes(user.email!)
			);
			expect(notice.text).toContain(maskEmail(target));
			expect(notice.text).not.toContain(target);
			expect(mailsTo(target, ADDRESS_CHANGED, mark)).toEqual([]);
		});

		it('the two-factor address cleared [the address codes went to is told]', async () => {
			const user = await seedUser(api.db);
			const own = `own-${user.username}@example.org`;
			await api.db
				.updateTable('users')
				.set({ otp_email: own, otp_email_confirmed_at: Date.now() })
				.where('id', '=', user.id)
				.execute();
			const caller = await api.callerFor(await api.signIn({ ...user, email: own }));
			await caller.twoFactor.clearEmail();
			await api.sink.waitForMessage(
				(mail) => mail.subject === ADDRESS_CHANGED && mail.envelopeTo.includes(own)
			);
		});

		it("an admin changes a member's account email [the old address is told at the request, and again when the new one is confirmed]", async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const member = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(admin), { policy: policyWithOrigin() });
			const moved = `moved-${member.username}@example.net`;
			await caller.users.updateProfile({ id: member.id, username: member.username, email: moved });
			const { mail } = await waitForRequestNotice(api.sink, member.email!);
			expect(mail.text).toContain(maskEmail(moved));
			await (
				await api.callerFor(null)
			).emailChange.confirm({
				token: await waitForConfirmToken(api.sink, moved)
			});
			const notice = await api.sink.waitForMessage(
				(mail) => mail.subject === ADDRESS_CHANGED && mail.envelopeTo.includes(member.email!)
			);
			expect(notice.text).toContain('email address of your Admin account');
		});

		it('a 4th code to a new address within the hour, each after the cooldown [TOO_MANY_REQUESTS; 3 mails]', async () => {
			// Fixed hourly windows: start at the top of one so the cooldowns stay inside it.
			advanceClock(HOUR - (Date.now() % HOUR) + 1000);
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user));
			const mark = api.sink.messages.length;
			const targets = [1, 2, 3, 4].map((n) => `new${n}-${user.username}@example.net`);
			// Three cooldowns fit in one step-up window.
			for (const target of targets.slice(0, 3)) {
				await caller.twoFactor.requestEmail({ email: target });
				await waitForAddressCode(api.sink, target);
				advanceClock(policy.otp.resendCooldownMs);
			}
			const refused = await errorOf(caller.twoFactor.requestEmail({ email: targets[3]! }));
			expect(refused.code).toBe('TOO_MANY_REQUESTS');
			const sent = api.sink.messages.slice(mark).filter((m) => m.subject === NEW_ADDRESS_SUBJECT);
			expect(sent.map((mail) => mail.envelopeTo[0])).toEqual(targets.slice(0, 3));
		});

		it('3 codes to new addresses, then sign-ins, within one hour [they count against the 5 code mails an hour: the 2nd sign-in gets no code]', async () => {
			advanceClock(HOUR - (Date.now() % HOUR) + 1000);
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user)); // code mail 1
			for (const n of [1, 2, 3]) {
				const target = `new${n}-${user.username}@example.net`;
				await caller.twoFactor.requestEmail({ email: target }); // code mails 2 to 4
				await waitForAddressCode(api.sink, target);
				advanceClock(policy.otp.resendCooldownMs);
			}
			expect((await api.login(user)).codeSent).toBe(true); // code mail 5
			await waitForCode(api.sink, user.email!);
			expect((await api.login(user)).codeSent).toBe(false);
		});
	});

	describe('what only a person with a fresh code may do', () => {
		it("users.create with role admin from an admin's write API token [FORBIDDEN; no user created]", async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const caller = await api.callerFor(await apiTokenOf(admin));
			const usersBefore = await snapshotDatabase(api.db, { tables: ['users'] });
			const auditBefore = await api.db.selectFrom('audit_log').select('event').execute();
			const username = `made-${admin.username}`;
			const error = await errorOf(
				caller.users.create({
					username,
					email: `${username}@example.com`,
					password: 'a long new password',
					role: 'admin'
				})
			);
			expect(error.code).toBe('FORBIDDEN');
			// The token itself records its first use; no user, no audit row about one.
			expect(await snapshotDatabase(api.db, { tables: ['users'] })).toEqual(usersBefore);
			const auditAfter = await api.db.selectFrom('audit_log').select('event').execute();
			expect(auditAfter.filter((row) => row.event === 'user.created')).toEqual(
				auditBefore.filter((row) => row.event === 'user.created')
			);
		});

		it('users.create with role admin from a session with a stale step-up [FORBIDDEN step-up; nothing changes], then with a fresh code [created]', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const { token, caller } = await staleSession(admin);
			const username = `fresh-${admin.username}`;
			const input = {
				username,
				email: `${username}@example.com`,
				password: 'a long new password',
				role: 'admin' as const
			};
			await expectStepUpRefusal(() => caller.users.create(input));
			const fresh = await stepUp(token, admin);
			expect((await fresh.users.create(input)).id).toMatch(/^[a-z2-7]+$/);
		});

		it("users.create with role member from an admin's write API token [created: tokens may still add members]", async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const caller = await api.callerFor(await apiTokenOf(admin));
			const username = `member-${admin.username}`;
			const { id } = await caller.users.create({
				username,
				email: `${username}@example.com`,
				password: 'a long new password',
				role: 'member'
			});
			expect(id).toMatch(/^[a-z2-7]+$/);
		});

		it("users.setActive switching another admin off from an admin's write API token [FORBIDDEN; still active, still signed in]", async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const other = await seedUser(api.db, { role: 'admin' });
			const otherSession = await api.signIn(other);
			const caller = await api.callerFor(await apiTokenOf(admin));
			const error = await errorOf(caller.users.setActive({ ids: [other.id], active: false }));
			expect(error.code).toBe('FORBIDDEN');
			expect(await api.isValid(otherSession)).toBe(true);
		});

		it('users.setActive with a stale step-up [FORBIDDEN step-up; nothing changes]', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const other = await seedUser(api.db, { role: 'admin' });
			const { caller } = await staleSession(admin);
			await expectStepUpRefusal(() => caller.users.setActive({ ids: [other.id], active: false }));
		});
	});
});
