// Invitations through the API: an admin invites (users.invite, or users.create without a
// password), the person opens the mailed link and chooses a password, which also confirms their
// address, and signs in; admins see, resend and revoke pending invitations. Server-side callers on
// each dialect, mail from a real SMTP sink on loopback.
import { describe, expect, it } from 'vitest';
import { verifyPassword } from '$lib/server/auth/password';
import { errorOf, advanceClock, useApiHarness, type Caller } from '../helpers/api-harness';
import {
	clockInsideOneDay,
	INVITATION_SUBJECT,
	policyWithOrigin,
	waitForInvitation
} from '../helpers/invitations';
import { queuedSubjects } from '../helpers/mail-queue';
import { TEST_ORIGIN } from '../helpers/security-keys';
import { dialects } from '../../tools/databases';
import { seedUser } from '../../tools/sign-in';

const HOUR = 60 * 60 * 1000;
const PASSWORD = 'my own chosen password';
const policy = policyWithOrigin();

let serial = 0;
/** A username and address nobody has yet. */
function newcomer(tag = 'inv') {
	serial += 1;
	const username = `${tag}-${process.pid}-${serial}`;
	return { username, email: `${username}@example.org` };
}

describe.each(dialects)('invitations on %s', (dialect) => {
	const api = useApiHarness(dialect);

	async function asAdmin(): Promise<Caller> {
		const admin = await seedUser(api.db, { role: 'admin' });
		return api.callerFor(await api.signIn(admin), { policy });
	}

	const anonymous = () => api.callerFor(null, { policy });

	function userRow(id: string) {
		return api.db
			.selectFrom('users')
			.select(['password_hash', 'otp_email_confirmed_at', 'role'])
			.where('id', '=', id)
			.executeTakeFirstOrThrow();
	}

	async function eventsOf(id: string): Promise<string[]> {
		const rows = await api.db
			.selectFrom('audit_log')
			.select('event')
			.where('subject_id', '=', id)
			.orderBy('created_at')
			.execute();
		return rows.map((row) => row.event);
	}

	describe('users.invite', () => {
		it('creates an account without a usable password and mails a 72 h link at ORIGIN', async () => {
			const admin = await asAdmin();
			const person = newcomer();
			const before = Date.now();
			const { id, invitation } = await admin.users.invite({ ...person, role: 'member' });

			expect(invitation.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 72 * HOUR);
			expect(invitation.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 72 * HOUR);
			const row = await userRow(id);
			expect(row.password_hash.startsWith('!')).toBe(true);
			expect(row.otp_email_confirmed_at).toBeNull();

			const { mail, url, token } = await waitForInvitation(api.sink, person.email);
			expect(url.origin + url.pathname).toBe(`${TEST_ORIGIN}/login/invite`);
			expect(mail.text).toContain(person.username);
			expect(mail.subject).not.toContain(token);
			expect(await eventsOf(id)).toEqual(['user.created', 'invitation.sent']);

			const detail = await admin.users.get({ id });
			expect(detail.invitation).toMatchObject({ status: 'pending' });
			expect(detail.invitation?.expiresAt).toEqual(invitation.expiresAt);
			const listed = await admin.users.list({ search: person.username });
			expect(listed.users[0]?.invitation).toMatchObject({ status: 'pending' });
		});

		it('users.create without a password invites the same way', async () => {
			const admin = await asAdmin();
			const person = newcomer('cre');
			const { id, invitation } = await admin.users.create({ ...person, role: 'member' });
			expect(invitation?.expiresAt).toBeInstanceOf(Date);
			expect((await userRow(id)).password_hash.startsWith('!')).toBe(true);
			await waitForInvitation(api.sink, person.email);
			expect(await eventsOf(id)).toEqual(['user.created', 'invitation.sent']);
		});

		it('users.create with a password still makes a ready account and mails nothing', async () => {
			const admin = await asAdmin();
			const person = newcomer('pwd');
			const { id, invitation } = await admin.users.create({ ...person, password: PASSWORD });
			expect(invitation).toBeNull();
			expect(await verifyPassword((await userRow(id)).password_hash, PASSWORD)).toBe(true);
			expect((await admin.users.get({ id })).invitation).toBeNull();
			// Nothing queued for them at all (the sink alone could only say "not delivered yet").
			expect(await queuedSubjects(api.db, person.email)).toEqual([]);
		});
	});

	describe('inviting an admin needs what creating one needs', () => {
		it('a session whose code is older than the step-up window is refused; nothing is created', async () => {
			const admin = await asAdmin();
			const person = newcomer('adm');
			advanceClock(11 * 60_000);
			for (const call of [
				() => admin.users.invite({ ...person, role: 'admin' }),
				() => admin.users.create({ ...person, role: 'admin' })
			]) {
				const error = await errorOf(call());
				expect(error.code).toBe('FORBIDDEN');
				expect(error.message).toBe('Confirm with a fresh code first');
			}
			const row = await api.db
				.selectFrom('users')
				.select('id')
				.where('username', '=', person.username)
				.executeTakeFirst();
			expect(row).toBeUndefined();

			// A member may still be invited from that session; resending to an admin may not.
			const { id } = await admin.users.invite({ ...newcomer('mem'), role: 'member' });
			expect(id).toBeTruthy();
			const invitedAdmin = newcomer('adm2');
			const fresh = await asAdmin();
			const { id: adminId } = await fresh.users.invite({ ...invitedAdmin, role: 'admin' });
			advanceClock(11 * 60_000);
			const resend = await errorOf(fresh.users.resendInvitation({ id: adminId }));
			expect(resend.code).toBe('FORBIDDEN');
		});
	});

	describe('accepting', () => {
		it('shows the username, sets the password, confirms the address; then sign-in works', async () => {
			const admin = await asAdmin();
			const person = newcomer('acc');
			const { id } = await admin.users.invite({ ...person, role: 'member' });
			const { token } = await waitForInvitation(api.sink, person.email);

			const status = await (await anonymous()).invitations.status({ token });
			expect(status).toMatchObject({ valid: true, username: person.username });

			const accepted = await (await anonymous()).invitations.accept({ token, password: PASSWORD });
			expect(accepted).toEqual({ ok: true, username: person.username });
			const row = await userRow(id);
			expect(await verifyPassword(row.password_hash, PASSWORD)).toBe(true);
			expect(row.otp_email_confirmed_at).not.toBeNull();
			expect(await eventsOf(id)).toEqual([
				'user.created',
				'invitation.sent',
				'invitation.accepted'
			]);
			expect((await admin.users.get({ id })).invitation).toBeNull();
			expect(await (await anonymous()).invitations.status({ token })).toEqual({ valid: false });

			// Password, then the code mailed to the address the link proved.
			const session = await api.signIn({ ...person, password: PASSWORD });
			const me = await (await api.callerFor(session)).auth.me();
			expect(me).toMatchObject({ user: { id, username: person.username } });
			expect(me?.session.state).toBe('verified');
		});
	});

	describe('resending', () => {
		it('mails a new link and the old one stops working', async () => {
			clockInsideOneDay();
			const admin = await asAdmin();
			const person = newcomer('res');
			const { id } = await admin.users.invite({ ...person, role: 'member' });
			const first = await waitForInvitation(api.sink, person.email);
			advanceClock(61_000);

			await admin.users.resendInvitation({ id });
			const second = await waitForInvitation(api.sink, person.email);
			expect(second.token).not.toBe(first.token);
			const caller = await anonymous();
			expect(await caller.invitations.status({ token: first.token })).toEqual({ valid: false });
			expect(await caller.invitations.status({ token: second.token })).toMatchObject({
				valid: true
			});
			const refused = await errorOf(
				caller.invitations.accept({ token: first.token, password: PASSWORD })
			);
			expect(refused.code).toBe('NOT_FOUND');
			expect(await eventsOf(id)).toEqual(['user.created', 'invitation.sent', 'invitation.resent']);
		});

		it('is limited: one a minute and 10 a day per person and address', async () => {
			clockInsideOneDay();
			const admin = await asAdmin();
			const person = newcomer('lim');
			const { id } = await admin.users.invite({ ...person, role: 'member' });

			const tooSoon = await errorOf(admin.users.resendInvitation({ id }));
			expect(tooSoon.code).toBe('TOO_MANY_REQUESTS');
			expect(tooSoon.message).toMatch(/Try again in \d+ seconds/);
			// The first mail was one of the ten.
			for (let sent = 1; sent < 10; sent++) {
				advanceClock(61_000);
				await admin.users.resendInvitation({ id });
			}
			advanceClock(61_000);
			const capped = await errorOf(admin.users.resendInvitation({ id }));
			expect(capped.code).toBe('TOO_MANY_REQUESTS');
			// Ten mails queued (the sender delivers them in the background), not eleven.
			const queued = await queuedSubjects(api.db, person.email);
			expect(queued.filter((subject) => subject === INVITATION_SUBJECT)).toHaveLength(10);
		});

		it('is refused for someone who already has a password', async () => {
			const admin = await asAdmin();
			const member = await seedUser(api.db);
			const error = await errorOf(admin.users.resendInvitation({ id: member.id }));
			expect(error.code).toBe('PRECONDITION_FAILED');
			expect(error.message).toBe(
				'This user already has a password: there is no invitation to send'
			);
		});
	});

	describe('revoking', () => {
		it('ends the link; the account stays and cannot sign in; a second revoke is refused', async () => {
			const admin = await asAdmin();
			const person = newcomer('rev');
			const { id } = await admin.users.invite({ ...person, role: 'member' });
			const { token } = await waitForInvitation(api.sink, person.email);

			expect(await admin.users.revokeInvitation({ id })).toEqual({ ok: true });
			expect(await (await anonymous()).invitations.status({ token })).toEqual({ valid: false });
			expect((await admin.users.get({ id })).invitation).toMatchObject({ status: 'revoked' });
			const login = await errorOf(
				(await anonymous()).auth.login({ username: person.username, password: PASSWORD })
			);
			expect(login.code).toBe('UNAUTHORIZED');

			const again = await errorOf(admin.users.revokeInvitation({ id }));
			expect(again.code).toBe('BAD_REQUEST');
			expect(again.message).toBe('This user has no live invitation to revoke');
			expect(await eventsOf(id)).toEqual([
				'user.created',
				'invitation.sent',
				'invitation.revoked',
				'login.failed'
			]);
		});

		it('an admin who sets the password instead ends the invitation too', async () => {
			const admin = await asAdmin();
			const person = newcomer('set');
			const { id } = await admin.users.invite({ ...person, role: 'member' });
			const { token } = await waitForInvitation(api.sink, person.email);
			await admin.users.setPassword({ id, password: 'typed by the admin' });
			const refused = await errorOf(
				(await anonymous()).invitations.accept({ token, password: PASSWORD })
			);
			expect(refused.code).toBe('NOT_FOUND');
			expect((await admin.users.get({ id })).invitation).toBeNull();
		});
	});
});
