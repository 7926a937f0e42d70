// Attacks on invitations, on each dialect through the server-side caller (mail from a real SMTP
// sink): reused, expired, forged and other people's links; a link of another purpose (a password
// reset, an email proof) used as an invitation and the other way round; an invitation for a name
// or address that already has an account; floods of invitations to one address; a password tried
// against an invited account (which has none); and two tabs accepting one link at once. Each is
// refused with a clear message and changes nothing.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { findLiveLink, issueLink, spendLink } from '$lib/server/auth/account-links';
import { verifyPassword } from '$lib/server/auth/password';
import { advanceClock, errorOf, useApiHarness, type Caller } from '../helpers/api-harness';
import { ACTIVITY_STAMPS, snapshotDatabase } from '../helpers/database-contents';
import {
	clockInsideOneDay,
	INVITATION_SUBJECT,
	isInvitationTo,
	policyWithOrigin,
	waitForInvitation
} from '../helpers/invitations';
import { queuedSubjects } from '../helpers/mail-queue';
import { dialects } from '../../tools/databases';
import { seedUser, TEST_PASSWORD } from '../../tools/sign-in';

// Every argon2 verification the app runs, recorded and passed through to the real one: "the same
// work" as a wrong password is the same call, against a real argon2id hash of the same cost.
const argon2Verifications = vi.hoisted(() => [] as string[]);
vi.mock('@node-rs/argon2', async (importOriginal) => {
	const real = await importOriginal<typeof import('@node-rs/argon2')>();
	return {
		...real,
		verify: (hashed: string | Uint8Array, password: string | Uint8Array, ...rest: never[]) => {
			argon2Verifications.push(String(hashed));
			return real.verify(hashed, password, ...rest);
		}
	};
});

const HOUR = 60 * 60 * 1000;
const PASSWORD = 'the invitee chose this one';
const INVALID =
	'This invitation link is not valid: it has expired, was already used or was replaced by a newer one. Ask an administrator to send a new invitation';
const policy = policyWithOrigin();

let serial = 0;
function newcomer(tag: string) {
	serial += 1;
	const username = `${tag}-${process.pid}-${serial}`;
	return { username, email: `${username}@example.org`, role: 'member' as const };
}

describe.each(dialects)('invitation attacks on %s', (dialect) => {
	const api = useApiHarness(dialect);
	let admin: Caller;

	beforeAll(async () => {
		const person = await seedUser(api.db, { role: 'admin' });
		admin = await api.callerFor(await api.signIn(person), { policy });
	});

	const anonymous = () => api.callerFor(null, { policy });
	const contents = () => snapshotDatabase(api.db, { ignore: ACTIVITY_STAMPS });

	/** An invited account and the token mailed to it. */
	async function invited(tag: string) {
		const person = newcomer(tag);
		const { id } = await admin.users.invite(person);
		const { token } = await waitForInvitation(api.sink, person.email);
		return { ...person, id, token };
	}

	/** Accepting is refused with the one message, and the database is exactly as before. */
	async function expectRefusedAccept(token: string, password = PASSWORD): Promise<void> {
		const before = await contents();
		const error = await errorOf((await anonymous()).invitations.accept({ token, password }));
		expect(error.code).toBe('NOT_FOUND');
		expect(error.message).toBe(INVALID);
		expect(await (await anonymous()).invitations.status({ token })).toEqual({ valid: false });
		expect(await contents()).toEqual(before);
	}

	async function passwordHashOf(id: string): Promise<string> {
		const row = await api.db
			.selectFrom('users')
			.select('password_hash')
			.where('id', '=', id)
			.executeTakeFirstOrThrow();
		return row.password_hash;
	}

	describe('links that are not live', () => {
		it('a used link is refused the second time', async () => {
			const { token } = await invited('reuse');
			await (await anonymous()).invitations.accept({ token, password: PASSWORD });
			await expectRefusedAccept(token, 'another password entirely');
		});

		it('an expired link (72 h) is refused, and the account keeps no password', async () => {
			const { id, token } = await invited('expired');
			advanceClock(72 * HOUR + 1000);
			await expectRefusedAccept(token);
			expect((await passwordHashOf(id)).startsWith('!')).toBe(true);
			expect((await admin.users.get({ id })).invitation).toMatchObject({ status: 'expired' });
		});

		it('forged tokens are refused: random, malformed, and a hash-sized guess', async () => {
			await invited('forged');
			for (const token of [
				randomBytes(32).toString('base64url'),
				"x' OR 1=1 --",
				'a'.repeat(43),
				'A'.repeat(64)
			]) {
				await expectRefusedAccept(token);
			}
		});

		it("a link only ever sets its own account's password (no input names a user)", async () => {
			const mine = await invited('mine');
			const other = await invited('other');
			const input = { token: mine.token, password: PASSWORD, userId: other.id };
			const extra = await errorOf((await anonymous()).invitations.accept(input as never));
			expect(extra.code).toBe('BAD_REQUEST');

			await (await anonymous()).invitations.accept({ token: mine.token, password: PASSWORD });
			expect(await verifyPassword(await passwordHashOf(mine.id), PASSWORD)).toBe(true);
			expect((await passwordHashOf(other.id)).startsWith('!')).toBe(true);
			await expectRefusedAccept(mine.token);
		});

		it('a link to an address the account no longer has is refused', async () => {
			const { id, token } = await invited('moved');
			await api.db
				.updateTable('users')
				.set({ email: `moved-${id}@example.org` })
				.where('id', '=', id)
				.execute();
			await expectRefusedAccept(token);
		});

		it('a link of a deactivated account is refused', async () => {
			const { id, token } = await invited('inactive');
			await api.db.updateTable('users').set({ is_active: 0 }).where('id', '=', id).execute();
			await expectRefusedAccept(token);
		});
	});

	describe('purposes are kept apart', () => {
		it('a reset or email-proof link of the invitee does not accept the invitation', async () => {
			const { id, email } = await invited('purpose');
			for (const purpose of ['reset', 'email'] as const) {
				const link = await issueLink(api.db, {
					purpose,
					userId: id,
					email,
					createdBy: null,
					ttlMs: HOUR
				});
				await expectRefusedAccept(link.token);
				expect(await findLiveLink(api.db, purpose, link.token)).not.toBeNull();
			}
		});

		it('an invitation link opens neither a reset nor an email proof, and stays live', async () => {
			const { token } = await invited('crossed');
			for (const purpose of ['reset', 'email'] as const) {
				expect(await findLiveLink(api.db, purpose, token)).toBeNull();
				expect(await spendLink(api.db, purpose, token)).toBeNull();
			}
			expect(await findLiveLink(api.db, 'invite', token)).not.toBeNull();
		});
	});

	describe('an invitation for someone who already has an account', () => {
		it.each([
			[
				'the username',
				(taken: { username: string; email: string }) => ({
					username: taken.username,
					email: `fresh-${serial}@example.org`
				})
			],
			[
				'the address, in other case',
				(taken: { username: string; email: string }) => ({
					username: `fresh-${serial}`,
					email: taken.email.toUpperCase()
				})
			]
		])('taking %s is refused; nothing is written or mailed', async (_label, clash) => {
			const existing = await seedUser(api.db);
			const person = {
				...clash({ username: existing.username, email: existing.email! }),
				role: 'member' as const
			};
			const before = await contents();
			for (const call of [() => admin.users.invite(person), () => admin.users.create(person)]) {
				const error = await errorOf(call());
				expect(error.code).toBe('CONFLICT');
				expect(error.message).toBe('That username or email is taken');
			}
			expect(await contents()).toEqual(before);
			expect(await queuedSubjects(api.db, existing.email!)).not.toContain(INVITATION_SUBJECT);
			expect(await verifyPassword(await passwordHashOf(existing.id), TEST_PASSWORD)).toBe(true);
		});
	});

	describe('floods to one address', () => {
		it('ten resends at once after a minute: one mail goes, nine are refused', async () => {
			clockInsideOneDay();
			const { id, email } = await invited('flood');
			advanceClock(61_000);
			const results = await Promise.allSettled(
				Array.from({ length: 10 }, () => admin.users.resendInvitation({ id }))
			);
			const sent = results.filter((result) => result.status === 'fulfilled');
			expect(sent).toHaveLength(1);
			for (const result of results) {
				if (result.status === 'rejected') {
					expect(result.reason).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
				}
			}
			// The invitation (already read) and the one resend.
			await waitForInvitation(api.sink, email);
			expect(api.sink.messages.filter(isInvitationTo(email))).toHaveLength(2);
		});

		it('deleting the account and inviting the address again does not reset the limit', async () => {
			clockInsideOneDay();
			const first = await invited('again');
			await api.db.deleteFrom('users').where('id', '=', first.id).execute();
			const again = {
				username: `${first.username}-2`,
				email: first.email,
				role: 'member' as const
			};
			const error = await errorOf(admin.users.invite(again));
			expect(error.code).toBe('TOO_MANY_REQUESTS');
			const row = await api.db
				.selectFrom('users')
				.select('id')
				.where('email', '=', first.email)
				.executeTakeFirst();
			expect(row).toBeUndefined();
		});
	});

	describe('signing in to an invited account, which has no password', () => {
		it('any password fails exactly like a wrong one, after the same argon2 work', async () => {
			const { username, id } = await invited('nopass');
			const member = await seedUser(api.db);
			const hash = await passwordHashOf(id);

			const answers = [];
			const checked = [];
			for (const attempt of [
				{ username, password: 'any password at all' },
				// The stored marker itself, typed as the password.
				{ username, password: hash },
				{ username: member.username, password: 'not the password' },
				{ username: `nobody-${serial}`, password: 'not the password' }
			]) {
				argon2Verifications.length = 0;
				const error = await errorOf((await anonymous()).auth.login(attempt));
				answers.push({ code: error.code, message: error.message });
				checked.push([...argon2Verifications]);
			}
			expect(new Set(answers.map((answer) => JSON.stringify(answer)))).toEqual(
				new Set([JSON.stringify({ code: 'UNAUTHORIZED', message: 'Wrong username or password' })])
			);
			// One verification each, against a real argon2id hash of the configured cost.
			for (const hashes of checked) {
				expect(hashes).toHaveLength(1);
				expect(hashes[0]).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
			}
			const failed = await api.db
				.selectFrom('audit_log')
				.select('event')
				.where('subject_id', '=', id)
				.where('event', '=', 'login.failed')
				.execute();
			expect(failed).toHaveLength(2);
		});
	});

	describe('two tabs accept one link at once', () => {
		it('exactly one sets the password; the others are refused', async () => {
			const { id, token } = await invited('race');
			const passwords = Array.from({ length: 5 }, (_, i) => `racing password number ${i}`);
			const results = await Promise.allSettled(
				passwords.map(async (password) =>
					(await anonymous()).invitations.accept({ token, password })
				)
			);
			const winners = passwords.filter((_, i) => results[i]!.status === 'fulfilled');
			expect(winners).toHaveLength(1);
			for (const result of results) {
				if (result.status === 'rejected') {
					expect(result.reason).toMatchObject({ code: 'NOT_FOUND', message: INVALID });
				}
			}
			expect(await verifyPassword(await passwordHashOf(id), winners[0]!)).toBe(true);
			const accepted = await api.db
				.selectFrom('audit_log')
				.select('id')
				.where('subject_id', '=', id)
				.where('event', '=', 'invitation.accepted')
				.execute();
			expect(accepted).toHaveLength(1);
		});
	});
});
