// A login flood fills the argon2 queue: the next password check is answered "busy" at once, and
// that answer spends nothing: no try against the password limits, no failure in the audit log.
// argon2's verify is held at a gate here, so "every slot and queue place is taken" is a fact
// the test sets up, not a race it hopes to win.
import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import {
	hashPassword,
	MAX_CONCURRENT_HASHES,
	MAX_WAITING_HASHES,
	verifyPassword
} from '$lib/server/auth/password';
import { ServerBusyError } from '$lib/server/errors';
import { errorOf, useApiHarness } from '../helpers/api-harness';
import { dialects } from '../../tools/databases';
import { seedUser } from '../../tools/sign-in';

const gate = vi.hoisted(() => {
	let open: Promise<void> = Promise.resolve();
	let release = () => {};
	return {
		get passed() {
			return open;
		},
		hold() {
			open = new Promise((resolve) => (release = resolve));
		},
		release: () => release()
	};
});

vi.mock('@node-rs/argon2', async (importOriginal) => {
	const argon2 = await importOriginal<typeof import('@node-rs/argon2')>();
	return {
		...argon2,
		verify: async (...args: Parameters<typeof argon2.verify>) => {
			await gate.passed;
			return argon2.verify(...args);
		}
	};
});

/** Takes every hashing slot and queue place with checks held at the gate; call the result to end. */
async function fillArgon2Queue(): Promise<() => Promise<void>> {
	const storedHash = await hashPassword('a password nobody guesses');
	gate.hold();
	const checks = Array.from({ length: MAX_CONCURRENT_HASHES + MAX_WAITING_HASHES }, () =>
		verifyPassword(storedHash, 'wrong')
	);
	return async () => {
		gate.release();
		await Promise.all(checks);
	};
}

describe.each(dialects)('password checks while argon2 is busy on %s', (dialect) => {
	const api = useApiHarness(dialect);

	async function passwordTriesCounted(): Promise<number> {
		const { rows } = await sql<{ hits: number | string | null }>`
			select sum(hits) as hits from rate_limits where bucket like 'pw:%'
		`.execute(api.db);
		return Number(rows[0]?.hits ?? 0);
	}

	async function auditCount(event: string): Promise<number> {
		const rows = await api.db
			.selectFrom('audit_log')
			.select('id')
			.where('event', '=', event)
			.execute();
		return rows.length;
	}

	it('wrong password while the argon2 queue is full [429 busy at once; no try counted; no failure audited]', async () => {
		const user = await seedUser(api.db);
		const triesBefore = await passwordTriesCounted();
		const drain = await fillArgon2Queue();
		try {
			const error = await errorOf(api.login(user, 'a wrong password'));
			expect(error.code).toBe('TOO_MANY_REQUESTS');
			expect(error.cause).toBeInstanceOf(ServerBusyError);
			expect(error.message).toBe('The server is busy. Try again in a second');
		} finally {
			await drain();
		}
		expect(await passwordTriesCounted()).toBe(triesBefore);
		expect(await auditCount('login.failed')).toBe(0);

		// The same wrong password once argon2 has room: checked, counted and audited.
		expect((await errorOf(api.login(user, 'a wrong password'))).code).toBe('UNAUTHORIZED');
		expect(await passwordTriesCounted()).toBe(triesBefore + 3);
		expect(await auditCount('login.failed')).toBe(1);
	});

	it('password change while the argon2 queue is full [429 busy; the change limit untouched]', async () => {
		const user = await seedUser(api.db);
		const caller = await api.callerFor(await api.signIn(user));
		const drain = await fillArgon2Queue();
		try {
			const change = caller.account.changePassword({
				current: user.password,
				next: 'a brand new password 1'
			});
			expect((await errorOf(change)).cause).toBeInstanceOf(ServerBusyError);
		} finally {
			await drain();
		}
		const { rows } = await sql<{ hits: number }>`
			select hits from rate_limits where bucket = ${`pw:change:${user.id}`}
		`.execute(api.db);
		expect(rows.every((row) => Number(row.hits) === 0)).toBe(true);
		expect(await auditCount('password.change_failed')).toBe(0);
	});
});
