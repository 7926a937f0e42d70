// Attacks on the email-change links and on asking for a change: reused, expired, forged and
// other-user links, a stale link after a second change, the address taken by another account
// meanwhile, links of other purposes, no step-up, an API token, and two confirmations at once.
// Each refusal has a clear message and changes nothing at all (every table compared).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { issueLink } from '$lib/server/auth/account-links';
import {
	AccountLinkInvalidError,
	ApiTokenNotAllowedError,
	EmailTakenError,
	LinkForAnotherAccountError,
	StepUpRequiredError
} from '$lib/server/errors';
import { advanceClock, errorOf, useApiHarness, type Caller } from '../helpers/api-harness';
import { ACTIVITY_STAMPS, snapshotDatabase } from '../helpers/database-contents';
import {
	policyWithOrigin,
	waitForConfirmToken,
	waitForRequestNotice
} from '../helpers/email-change';
import { queuedCount } from '../helpers/mail-queue';
import { dialects } from '../../tools/databases';
import { seedUser, type SeededUser } from '../../tools/sign-in';

const linkPolicy = policyWithOrigin();
const DEAD_LINK =
	'This link is not valid: it has expired, was already used, or a newer change replaced it. Nothing was changed';

describe.each(dialects)('email-change links on %s', (dialect) => {
	const api = useApiHarness(dialect, { auth: 'authenticate' });

	async function signedIn(user: SeededUser): Promise<Caller> {
		return api.callerFor(await api.signIn(user), { policy: linkPolicy });
	}

	function anonymous(): Promise<Caller> {
		return api.callerFor(null, { policy: linkPolicy });
	}

	/** A user with a pending change to `next` and the token of the link mailed there. */
	async function pendingChange(prefix = 'new') {
		const user = await seedUser(api.db);
		const caller = await signedIn(user);
		const next = `${prefix}-${user.username}@example.org`;
		await caller.account.changeEmail({ email: next });
		return { user, caller, next, token: await waitForConfirmToken(api.sink, next) };
	}

	async function emailOf(userId: string): Promise<string | null> {
		const row = await api.db
			.selectFrom('users')
			.select('email')
			.where('id', '=', userId)
			.executeTakeFirstOrThrow();
		return row.email;
	}

	/** Refused with `code` and `cause`, and every table as it was before. */
	async function expectRefusal(
		call: () => Promise<unknown>,
		code: string,
		cause: abstract new (...args: never[]) => Error
	) {
		const before = await snapshotDatabase(api.db, { ignore: ACTIVITY_STAMPS });
		const error = await errorOf(call());
		expect(error.code).toBe(code);
		expect(error.cause).toBeInstanceOf(cause);
		expect(await snapshotDatabase(api.db, { ignore: ACTIVITY_STAMPS })).toEqual(before);
		return error;
	}

	describe('dead links', () => {
		it('a link used a second time [NOT_FOUND "not valid"; nothing changes]', async () => {
			const { user, next, token } = await pendingChange();
			await (await anonymous()).emailChange.confirm({ token });
			const error = await expectRefusal(
				async () => (await anonymous()).emailChange.confirm({ token }),
				'NOT_FOUND',
				AccountLinkInvalidError
			);
			expect(error.message).toBe(DEAD_LINK);
			expect(await emailOf(user.id)).toBe(next);
		});

		it('a link opened after its 24 hours [NOT_FOUND, for the page and the button; the email stays]', async () => {
			const { user, token } = await pendingChange();
			advanceClock(linkPolicy.emailChange.linkTtlMs + 1000);
			await expectRefusal(
				async () => (await anonymous()).emailChange.check({ token }),
				'NOT_FOUND',
				AccountLinkInvalidError
			);
			await expectRefusal(
				async () => (await anonymous()).emailChange.confirm({ token }),
				'NOT_FOUND',
				AccountLinkInvalidError
			);
			expect(await emailOf(user.id)).toBe(user.email);
		});

		it('forged tokens: well-formed random, malformed, empty-ish [NOT_FOUND; nothing changes]', async () => {
			const { user } = await pendingChange();
			for (const token of [
				randomBytes(32).toString('base64url'),
				'not-a-token',
				"' OR 1=1 --",
				'A'.repeat(128)
			]) {
				await expectRefusal(
					async () => (await anonymous()).emailChange.confirm({ token }),
					'NOT_FOUND',
					AccountLinkInvalidError
				);
			}
			expect(await emailOf(user.id)).toBe(user.email);
		});

		it('the first link after a second change replaced it [NOT_FOUND; the second link works]', async () => {
			const { user, caller, token: first } = await pendingChange('first');
			const second = `second-${user.username}@example.org`;
			await caller.account.changeEmail({ email: second });
			const secondToken = await waitForConfirmToken(api.sink, second);
			await expectRefusal(
				async () => (await anonymous()).emailChange.confirm({ token: first }),
				'NOT_FOUND',
				AccountLinkInvalidError
			);
			expect(await emailOf(user.id)).toBe(user.email);
			await (await anonymous()).emailChange.confirm({ token: secondToken });
			expect(await emailOf(user.id)).toBe(second);
		});

		it('links of other purposes (reset, invite, the report link) used to confirm, and a confirm link used to report [NOT_FOUND; nothing changes]', async () => {
			const { user, token } = await pendingChange();
			const { reportToken } = await waitForRequestNotice(api.sink, user.email!);
			const others: string[] = [reportToken];
			for (const purpose of ['reset', 'invite'] as const) {
				const issued = await issueLink(api.db, {
					purpose,
					userId: user.id,
					email: `${purpose}-${user.username}@example.org`,
					createdBy: null,
					ttlMs: 60 * 60 * 1000
				});
				others.push(issued.token);
			}
			for (const other of others) {
				await expectRefusal(
					async () => (await anonymous()).emailChange.confirm({ token: other }),
					'NOT_FOUND',
					AccountLinkInvalidError
				);
			}
			await expectRefusal(
				async () => (await anonymous()).emailChange.report({ token }),
				'NOT_FOUND',
				AccountLinkInvalidError
			);
			expect(await emailOf(user.id)).toBe(user.email);
		});
	});

	describe('whose link it is', () => {
		it("another account signed in opens someone's link [FORBIDDEN; nothing changes; the owner's link still works]", async () => {
			const { user, next, token } = await pendingChange();
			const other = await signedIn(await seedUser(api.db));
			const error = await expectRefusal(
				() => other.emailChange.confirm({ token }),
				'FORBIDDEN',
				LinkForAnotherAccountError
			);
			expect(error.message).toContain('This link is for another account');
			await expectRefusal(
				() => other.emailChange.check({ token }),
				'FORBIDDEN',
				LinkForAnotherAccountError
			);
			await (await anonymous()).emailChange.confirm({ token });
			expect(await emailOf(user.id)).toBe(next);
		});

		it('the address taken by another account meanwhile [CONFLICT "belongs to another account"; nothing changes; the link stays live]', async () => {
			const a = await pendingChange('shared');
			// Another account proves the same address first (it was free when both asked).
			const b = await seedUser(api.db);
			const bCaller = await signedIn(b);
			await bCaller.account.changeEmail({ email: a.next });
			await (
				await anonymous()
			).emailChange.confirm({
				token: await waitForConfirmToken(api.sink, a.next)
			});
			expect(await emailOf(b.id)).toBe(a.next);

			const error = await expectRefusal(
				async () => (await anonymous()).emailChange.confirm({ token: a.token }),
				'CONFLICT',
				EmailTakenError
			);
			expect(error.message).toBe(
				'That address now belongs to another account. Nothing was changed'
			);
			expect(await emailOf(a.user.id)).toBe(a.user.email);
			expect((await (await anonymous()).emailChange.check({ token: a.token })).email).toBe(a.next);
		});
	});

	describe('asking for a change', () => {
		it('without a fresh code (the step-up window has run out) [FORBIDDEN step-up; no link, no mail]', async () => {
			const user = await seedUser(api.db);
			const token = await api.signIn(user);
			advanceClock(linkPolicy.stepUpWindowMs + 1000);
			const caller = await api.callerFor(token, { policy: linkPolicy });
			const mark = await queuedCount(api.db);
			await expectRefusal(
				() => caller.account.changeEmail({ email: `late-${user.username}@example.org` }),
				'FORBIDDEN',
				StepUpRequiredError
			);
			const admin = await seedUser(api.db, { role: 'admin' });
			const adminToken = await api.signIn(admin);
			advanceClock(linkPolicy.stepUpWindowMs + 1000);
			const adminCaller = await api.callerFor(adminToken, { policy: linkPolicy });
			await expectRefusal(
				() =>
					adminCaller.users.updateProfile({
						id: user.id,
						username: user.username,
						email: `late-admin-${user.username}@example.org`
					}),
				'FORBIDDEN',
				StepUpRequiredError
			);
			expect(await queuedCount(api.db)).toBe(mark);
		});

		it('an API token asks for a change, confirms or reports a link [FORBIDDEN "API tokens cannot"; nothing changes]', async () => {
			const { user, token } = await pendingChange();
			const { reportToken } = await waitForRequestNotice(api.sink, user.email!);
			const session = await signedIn(user);
			const created = await session.apiTokens.create({
				name: 'script',
				scopes: ['read', 'write'],
				expiresInDays: 30
			});
			const script = await api.callerFor(created.token, { policy: linkPolicy });
			await expectRefusal(
				() => script.account.changeEmail({ email: `token-${user.username}@example.org` }),
				'FORBIDDEN',
				ApiTokenNotAllowedError
			);
			await expectRefusal(
				() => script.account.cancelEmailChange(),
				'FORBIDDEN',
				ApiTokenNotAllowedError
			);
			await expectRefusal(
				() => script.emailChange.confirm({ token }),
				'FORBIDDEN',
				ApiTokenNotAllowedError
			);
			await expectRefusal(
				() => script.emailChange.report({ token: reportToken }),
				'FORBIDDEN',
				ApiTokenNotAllowedError
			);
			expect(await emailOf(user.id)).toBe(user.email);
		});

		it("an admin's API token changes a user's email [FORBIDDEN; nothing changes]", async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const member = await seedUser(api.db);
			const session = await signedIn(admin);
			const created = await session.apiTokens.create({
				name: 'script',
				scopes: ['read', 'write'],
				expiresInDays: 30
			});
			const script = await api.callerFor(created.token, { policy: linkPolicy });
			await expectRefusal(
				() =>
					script.users.updateProfile({
						id: member.id,
						username: member.username,
						email: `token-${member.username}@example.org`
					}),
				'FORBIDDEN',
				ApiTokenNotAllowedError
			);
		});

		it('an address another account has, or the account already has [refused; no link, no mail]', async () => {
			const user = await seedUser(api.db);
			const other = await seedUser(api.db);
			const caller = await signedIn(user);
			const mark = await queuedCount(api.db);
			const taken = await errorOf(caller.account.changeEmail({ email: other.email! }));
			expect(taken.code).toBe('CONFLICT');
			const same = await errorOf(caller.account.changeEmail({ email: user.email! }));
			expect(same.code).toBe('BAD_REQUEST');
			expect(same.message).toBe('This is already the account’s email');
			expect(await queuedCount(api.db)).toBe(mark);
			const links = await api.db
				.selectFrom('account_links')
				.select('id')
				.where('user_id', '=', user.id)
				.execute();
			expect(links).toEqual([]);
		});

		it('more changes than the hourly allowance [TOO_MANY_REQUESTS; no further link]', async () => {
			const user = await seedUser(api.db);
			const caller = await signedIn(user);
			const max = linkPolicy.emailChange.requestsPerHour;
			for (let n = 1; n <= max; n++) {
				await caller.account.changeEmail({ email: `n${n}-${user.username}@example.org` });
			}
			const mark = await queuedCount(api.db);
			const error = await errorOf(
				caller.account.changeEmail({ email: `over-${user.username}@example.org` })
			);
			expect(error.code).toBe('TOO_MANY_REQUESTS');
			expect(await queuedCount(api.db)).toBe(mark);
		});
	});

	describe('races', () => {
		it('two confirmations of one link at once [exactly one wins; one audit row]', async () => {
			const { user, next, token } = await pendingChange();
			const callers = await Promise.all([anonymous(), anonymous()]);
			const results = await Promise.allSettled(
				callers.map((caller) => caller.emailChange.confirm({ token }))
			);
			const won = results.filter((result) => result.status === 'fulfilled');
			const lost = results.filter((result) => result.status === 'rejected');
			expect(won).toHaveLength(1);
			expect(lost).toHaveLength(1);
			expect((lost[0] as PromiseRejectedResult).reason.cause).toBeInstanceOf(
				AccountLinkInvalidError
			);
			expect(await emailOf(user.id)).toBe(next);
			const confirmed = await api.db
				.selectFrom('audit_log')
				.select('id')
				.where('subject_id', '=', user.id)
				.where('event', '=', 'email_change.confirmed')
				.execute();
			expect(confirmed).toHaveLength(1);
		});

		it('two reports of one link at once [exactly one wins]', async () => {
			const { user } = await pendingChange();
			const { reportToken } = await waitForRequestNotice(api.sink, user.email!);
			const callers = await Promise.all([anonymous(), anonymous()]);
			const results = await Promise.allSettled(
				callers.map((caller) => caller.emailChange.report({ token: reportToken }))
			);
			expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
		});
	});
});
