// A new account email takes effect only once the link mailed to it is opened: a person's own
// change (step-up) and an admin's in users.updateProfile alike; the pending change shows and can
// be cancelled; the old address is told at once and can report it; a username alone changes at
// once. Server-side callers on each dialect, mails from a real SMTP sink.
import { describe, expect, it } from 'vitest';
import { maskEmail } from '$lib/server/mail';
import { errorOf, useApiHarness } from '../helpers/api-harness';
import {
	CHANGED_SUBJECT,
	LINK_ORIGIN,
	LINK_SUBJECT,
	linkToken,
	policyWithOrigin,
	waitForConfirmToken,
	waitForRequestNotice
} from '../helpers/email-change';
import { queuedCount } from '../helpers/mail-queue';
import { dialects } from '../../tools/databases';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

const linkPolicy = policyWithOrigin();

describe.each(dialects)('email change with proof on %s', (dialect) => {
	const api = useApiHarness(dialect);

	/** A caller of a fresh verified session (so stepped up), whose links point at ORIGIN. */
	async function signedIn(user: SeededUser) {
		return api.callerFor(await api.signIn(user), { policy: linkPolicy });
	}

	/** Nobody signed in: how a link opened in another browser reaches the procedures. */
	function anonymous() {
		return api.callerFor(null, { policy: linkPolicy });
	}

	async function auditOf(userId: string): Promise<string[]> {
		const rows = await api.db
			.selectFrom('audit_log')
			.select(['event', 'created_at'])
			.where('subject_id', '=', userId)
			.where('event', 'like', 'email_change.%')
			.orderBy('created_at')
			.execute();
		return rows.map((row) => row.event);
	}

	describe('a person changes their own email', () => {
		it('with a fresh code: pending until the link mailed to the new address is confirmed', async () => {
			const user = await seedUser(api.db);
			const caller = await signedIn(user);
			const next = `new-${user.username}@example.org`;

			const asked = await caller.account.changeEmail({ email: next });
			expect(asked.email).toBe(next);
			expect(asked.expiresAt.getTime() - Date.now()).toBeGreaterThan(23 * 60 * 60 * 1000);
			expect(await caller.users.get({ id: user.id })).toMatchObject({
				email: user.email,
				pendingEmail: { email: next, expiresAt: asked.expiresAt }
			});

			const token = await waitForConfirmToken(api.sink, next);
			// Opening the page spends nothing.
			expect(await (await anonymous()).emailChange.check({ token })).toEqual({
				email: next,
				expiresAt: asked.expiresAt
			});
			expect((await caller.users.get({ id: user.id })).email).toBe(user.email);

			expect(await (await anonymous()).emailChange.confirm({ token })).toEqual({ email: next });
			expect(await caller.users.get({ id: user.id })).toMatchObject({
				email: next,
				emailConfirmed: true,
				pendingEmail: null
			});
			expect(await auditOf(user.id)).toEqual(['email_change.requested', 'email_change.confirmed']);

			// Codes went to the account email, so they go to the proven new one now.
			await api.login(user);
			await waitForCode(api.sink, next);
		});

		it('confirming from the same account signed in works too', async () => {
			const user = await seedUser(api.db);
			const caller = await signedIn(user);
			const next = `same-${user.username}@example.org`;
			await caller.account.changeEmail({ email: next });
			const token = await waitForConfirmToken(api.sink, next);
			await caller.emailChange.confirm({ token });
			expect((await caller.users.get({ id: user.id })).email).toBe(next);
		});

		it('a separate two-factor address stays where it is and as confirmed as it was', async () => {
			const user = await seedUser(api.db);
			const own = `codes-${user.username}@example.org`;
			await api.db
				.updateTable('users')
				.set({ otp_email: own, otp_email_confirmed_at: Date.now() })
				.where('id', '=', user.id)
				.execute();
			const caller = await api.callerFor(await api.signIn({ ...user, email: own }), {
				policy: linkPolicy
			});
			const next = `acct-${user.username}@example.org`;
			await caller.account.changeEmail({ email: next });
			await (
				await anonymous()
			).emailChange.confirm({
				token: await waitForConfirmToken(api.sink, next)
			});
			expect(await caller.users.get({ id: user.id })).toMatchObject({
				email: next,
				otpEmail: own,
				emailConfirmed: true
			});
		});
	});

	describe('the old address is told', () => {
		it('at the request (the new address masked, a report link) and again at the confirmation', async () => {
			const user = await seedUser(api.db);
			const caller = await signedIn(user);
			const next = `told-${user.username}@example.org`;
			await caller.account.changeEmail({ email: next });

			const { mail } = await waitForRequestNotice(api.sink, user.email!);
			expect(mail.envelopeTo).toEqual([user.email]);
			expect(mail.text).toContain(maskEmail(next));
			expect(mail.text).not.toContain(next);
			expect(mail.text).toContain(`${LINK_ORIGIN}/email/report?token=`);

			const linkMail = await api.sink.waitForMessage(
				(m) => m.subject === LINK_SUBJECT && m.envelopeTo.includes(next)
			);
			expect(linkMail.envelopeTo).toEqual([next]);
			// Nothing the requester chose reaches an address that has proven nothing.
			expect(linkMail.text).not.toContain(user.username);
			expect(linkMail.text).not.toContain('vitest');

			await (
				await anonymous()
			).emailChange.confirm({ token: linkToken(linkMail, '/email/confirm') });
			const changed = await api.sink.waitForMessage(
				(m) => m.subject === CHANGED_SUBJECT && m.envelopeTo.includes(user.email!)
			);
			expect(changed.text).toContain(maskEmail(next));
		});

		it("the report link cancels the pending change, ends the account's sessions and is audited", async () => {
			const user = await seedUser(api.db);
			const token = await api.signIn(user);
			const caller = await api.callerFor(token, { policy: linkPolicy });
			const next = `thief-${user.username}@example.org`;
			await caller.account.changeEmail({ email: next });
			const confirmToken = await waitForConfirmToken(api.sink, next);
			const { reportToken } = await waitForRequestNotice(api.sink, user.email!);

			expect(await (await anonymous()).emailChange.report({ token: reportToken })).toEqual({
				cancelled: true,
				sessionsEnded: 1
			});
			expect(await api.isValid(token)).toBe(false);
			const refused = await errorOf(
				(await anonymous()).emailChange.confirm({ token: confirmToken })
			);
			expect(refused.code).toBe('NOT_FOUND');
			const row = await api.db
				.selectFrom('users')
				.select('email')
				.where('id', '=', user.id)
				.executeTakeFirstOrThrow();
			expect(row.email).toBe(user.email);
			expect(await auditOf(user.id)).toEqual(['email_change.requested', 'email_change.reported']);
			// Once: the report link is spent.
			const again = await errorOf((await anonymous()).emailChange.report({ token: reportToken }));
			expect(again.code).toBe('NOT_FOUND');
		});
	});

	describe('an admin changes a user’s email in users.updateProfile', () => {
		it('the new address is pending for that user until its link is confirmed', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const member = await seedUser(api.db);
			const caller = await signedIn(admin);
			const next = `moved-${member.username}@example.org`;

			const answer = await caller.users.updateProfile({
				id: member.id,
				username: member.username,
				email: next
			});
			expect(answer).toMatchObject({ ok: true, emailChange: { email: next } });
			expect(await caller.users.get({ id: member.id })).toMatchObject({
				email: member.email,
				pendingEmail: { email: next }
			});
			const { mail } = await waitForRequestNotice(api.sink, member.email!);
			expect(mail.text).toContain('by an administrator');

			await (
				await anonymous()
			).emailChange.confirm({
				token: await waitForConfirmToken(api.sink, next)
			});
			expect(await caller.users.get({ id: member.id })).toMatchObject({
				email: next,
				pendingEmail: null
			});
			const created = await api.db
				.selectFrom('account_links')
				.select('created_by')
				.where('user_id', '=', member.id)
				.where('purpose', '=', 'email')
				.executeTakeFirstOrThrow();
			expect(created.created_by).toBe(admin.id);
		});

		it('a username alone changes at once, with no link and no mail', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const member = await seedUser(api.db);
			const caller = await signedIn(admin);
			const mark = await queuedCount(api.db);
			const renamed = `${member.username}-renamed`;
			const answer = await caller.users.updateProfile({
				id: member.id,
				username: renamed,
				email: member.email
			});
			expect(answer).toEqual({ ok: true, emailChange: null });
			expect(await caller.users.get({ id: member.id })).toMatchObject({
				username: renamed,
				email: member.email,
				pendingEmail: null
			});
			const links = await api.db
				.selectFrom('account_links')
				.select('id')
				.where('user_id', '=', member.id)
				.execute();
			expect(links).toEqual([]);
			expect(await queuedCount(api.db)).toBe(mark);
		});

		it('username and email together: the username at once, the email pending', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const member = await seedUser(api.db);
			const caller = await signedIn(admin);
			const next = `both-${member.username}@example.org`;
			await caller.users.updateProfile({
				id: member.id,
				username: `${member.username}-b`,
				email: next
			});
			expect(await caller.users.get({ id: member.id })).toMatchObject({
				username: `${member.username}-b`,
				email: member.email,
				pendingEmail: { email: next }
			});
		});
	});

	describe('a pending change can be cancelled', () => {
		it('by its owner: the link stops working and the cancellation is audited', async () => {
			const user = await seedUser(api.db);
			const caller = await signedIn(user);
			const next = `cancel-${user.username}@example.org`;
			await caller.account.changeEmail({ email: next });
			const token = await waitForConfirmToken(api.sink, next);

			expect(await caller.account.cancelEmailChange()).toEqual({ cancelled: true });
			expect((await caller.users.get({ id: user.id })).pendingEmail).toBeNull();
			expect((await errorOf((await anonymous()).emailChange.confirm({ token }))).code).toBe(
				'NOT_FOUND'
			);
			expect((await caller.users.get({ id: user.id })).email).toBe(user.email);
			expect(await caller.account.cancelEmailChange()).toEqual({ cancelled: false });
			expect(await auditOf(user.id)).toEqual(['email_change.requested', 'email_change.cancelled']);
		});

		it("by an admin, on the user's page", async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const member = await seedUser(api.db);
			const caller = await signedIn(admin);
			const next = `admin-cancel-${member.username}@example.org`;
			await caller.users.updateProfile({ id: member.id, username: member.username, email: next });
			const token = await waitForConfirmToken(api.sink, next);
			expect(await caller.users.cancelEmailChange({ id: member.id })).toEqual({ cancelled: true });
			expect((await errorOf((await anonymous()).emailChange.confirm({ token }))).code).toBe(
				'NOT_FOUND'
			);
			expect((await caller.users.get({ id: member.id })).email).toBe(member.email);
		});
	});
});
