// Spellings of a name: case, Unicode composed (NFC) or decomposed (NFD), accents, username or
// email. Names compare the same way on both databases: trimmed, lower-cased and NFC by the app,
// then byte for byte (SQLite always; MySQL through a binary collation), so case never matters and
// an accent always does. Every spelling of one account lands on that account's one password
// counter; a spelling that names no account has a counter of its own and never reaches another's.
import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { getPolicy } from '$lib/server/auth/policy';
import { advanceClock, useApiHarness } from '../helpers/api-harness';
import { dialects } from '../../tools/databases';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

const { login: limits } = getPolicy();
const HOUR = 60 * 60 * 1000;

/** `î` composed (one code point, NFC) and decomposed (`i` + combining circumflex, NFD). */
const withCircumflex = (name: string) => name.replace('i', '\u00ee');
const decomposed = (name: string) => withCircumflex(name).normalize('NFD');

/** Freezes the clock just after the top of an hour, so every fixed window of a test is one. */
function atStartOfHour(): void {
	advanceClock(HOUR - (Date.now() % HOUR) + 1000);
}

/** A client address of its own for the n-th try (each stays far under the per-address limits). */
const addressFor = (n: number) => `198.19.${Math.floor(n / 250)}.${(n % 250) + 1}`;

describe.each(dialects)('spellings of a name on %s', (dialect) => {
	const api = useApiHarness(dialect);

	/** A user named victim-<random>, so every test has its own. */
	const seedVictim = (): Promise<SeededUser> =>
		seedUser(api.db, { username: `victim-${randomBytes(3).toString('hex')}` });

	async function tryPassword(n: number, username: string, password = 'not the password') {
		const caller = await api.callerFor(null, { ip: addressFor(n) });
		return caller.auth.login({ username, password, tokenType: 'bearer' });
	}

	/** 'OK', or the tRPC code the call was refused with. */
	async function outcomeOf(call: Promise<unknown>): Promise<string> {
		return call.then(
			() => 'OK',
			(error: unknown) => {
				if (error instanceof TRPCError) return error.code;
				throw error;
			}
		);
	}

	describe('one account, one password counter', () => {
		it('100 wrong passwords for one account spelled VICTIM, Victim, its email in upper case or as stored, from 100 addresses [one counter: the 101st TOO_MANY_REQUESTS, even with the right password]', async () => {
			atStartOfHour();
			const victim = await seedVictim();
			const spellings = [
				victim.username.toUpperCase(),
				victim.username[0]!.toUpperCase() + victim.username.slice(1),
				` ${victim.email!.toUpperCase()} `,
				victim.email!,
				victim.username
			];
			const outcomes: string[] = [];
			for (let n = 0; n < limits.perAccount; n++) {
				outcomes.push(await outcomeOf(tryPassword(n, spellings[n % spellings.length]!)));
			}
			expect(outcomes).toEqual(Array(limits.perAccount).fill('UNAUTHORIZED'));

			const owner = tryPassword(limits.perAccount, victim.username, victim.password);
			expect(await outcomeOf(owner)).toBe('TOO_MANY_REQUESTS');
		});

		it('100 wrong passwords for vîctim, composed and decomposed in turn, from 100 addresses [one counter for that name: the 101st TOO_MANY_REQUESTS in either form; victim is not limited]', async () => {
			atStartOfHour();
			const victim = await seedVictim();
			const forms = [withCircumflex(victim.username), decomposed(victim.username)];
			const outcomes: string[] = [];
			for (let n = 0; n < limits.perAccount; n++) {
				outcomes.push(await outcomeOf(tryPassword(n, forms[n % 2]!)));
			}
			expect(outcomes).toEqual(Array(limits.perAccount).fill('UNAUTHORIZED'));
			for (const [i, form] of forms.entries()) {
				const extra = tryPassword(limits.perAccount + i, form);
				expect(await outcomeOf(extra)).toBe('TOO_MANY_REQUESTS');
			}

			const owner = await tryPassword(limits.perAccount + 2, victim.username, victim.password);
			expect(owner.status).toBe('otp_required');
			await waitForCode(api.sink, victim.email!);
		});
	});

	describe('a look-alike is another name', () => {
		it("victim's right password under vîctim (composed, decomposed, upper case) and under the email with an accent [UNAUTHORIZED every time]", async () => {
			const victim = await seedVictim();
			const lookAlikes = [
				withCircumflex(victim.username),
				decomposed(victim.username),
				withCircumflex(victim.username).toUpperCase(),
				withCircumflex(victim.email!),
				victim.email!.replace('example', 'ex\u00e4mple')
			];
			for (const [n, name] of lookAlikes.entries()) {
				const outcome = await outcomeOf(tryPassword(n, name, victim.password));
				expect({ name, outcome }).toEqual({ name, outcome: 'UNAUTHORIZED' });
			}
		});

		it('an admin creates vîctim, VICTIM, and a user with the email in upper case, while victim exists [vîctim BAD_REQUEST: usernames are ASCII; the other two CONFLICT]', async () => {
			const victim = await seedVictim();
			const admin = await api.callerFor(
				await api.signIn(await seedUser(api.db, { role: 'admin' }))
			);
			const create = (username: string, email: string) =>
				outcomeOf(admin.users.create({ username, email, password: 'a long enough password' }));

			expect(await create(withCircumflex(victim.username), 'lookalike@example.com')).toBe(
				'BAD_REQUEST'
			);
			expect(await create(decomposed(victim.username), 'lookalike@example.com')).toBe(
				'BAD_REQUEST'
			);
			expect(await create(victim.username.toUpperCase(), 'other@example.com')).toBe('CONFLICT');
			expect(await create('someone-else', victim.email!.toUpperCase())).toBe('CONFLICT');
		});

		it('a row named vîctim written past the schema, next to victim [stored: the unique index compares bytes on both databases, as sign-in does]', async () => {
			const victim = await seedVictim();
			const now = Date.now();
			await api.db
				.insertInto('users')
				.values({
					id: randomBytes(8).toString('hex'),
					username: withCircumflex(victim.username),
					email: withCircumflex(victim.email!),
					password_hash: 'x',
					role: 'member',
					created_at: now,
					updated_at: now
				})
				.execute();
			const rows = await api.db
				.selectFrom('users')
				.select('username')
				.where('username', 'in', [victim.username, withCircumflex(victim.username)])
				.orderBy('username')
				.execute();
			expect(rows.map((row) => row.username)).toEqual([
				victim.username,
				withCircumflex(victim.username)
			]);
		});

		it('an admin searches the user list for VICTIM and for vîctim [VICTIM finds victim; vîctim finds nobody]', async () => {
			const victim = await seedVictim();
			const admin = await api.callerFor(
				await api.signIn(await seedUser(api.db, { role: 'admin' }))
			);
			const found = async (search: string) =>
				(await admin.users.list({ search })).users.map((user) => user.username);

			expect(await found(victim.username.toUpperCase())).toEqual([victim.username]);
			expect(await found(withCircumflex(victim.username))).toEqual([]);
			expect(await found(decomposed(victim.username))).toEqual([]);
		});
	});
});
