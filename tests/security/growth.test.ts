// Unbounded growth by a signed-in member: calls that change nothing must write nothing (not even
// an audit row), what a person may hold is capped, and every cap holds when the calls arrive
// together (on MariaDB each call runs on its own pool connection, so the transactions overlap).
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { getPolicy, type AuthPolicy } from '$lib/server/auth/policy';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import { insertApiToken } from '$lib/server/auth/api-tokens';
import { createApiToken } from '$lib/server/services/api-tokens';
import { tokenPermissionGroups } from '$lib/server/trpc/token-permissions';
import { SYSTEM_ACTOR } from '$lib/server/services/actor';
import { addBackupTokens } from '$lib/server/services/backup-tokens';
import { ApiTokenLimitError, BackupTokenLimitError } from '$lib/server/errors';
import { advanceClock, errorOf, useApiHarness } from '../helpers/api-harness';
import { ACTIVITY_STAMPS, snapshotDatabase } from '../helpers/database-contents';
import { dialects } from '../../tools/databases';
import { seedUser } from '../../tools/sign-in';
import { testDeps } from '../../tools/service-deps';

const policy = getPolicy();
const HOUR = 60 * 60 * 1000;
/** Hourly limits lifted, so only the cap on what is held can refuse a call. */
const UNLIMITED: AuthPolicy = {
	...policy,
	apiTokens: { ...policy.apiTokens, createsPerHour: 1000 }
};

/** Fixed hourly windows: a test starts at the top of one, so its counts stay in one window. */
function advanceToHourStart(): void {
	advanceClock(HOUR - (Date.now() % HOUR) + 1000);
}

describe.each(dialects)('growth on %s', (dialect) => {
	const api = useApiHarness(dialect, { auth: 'authenticate' });

	async function countRows(table: 'backup_tokens' | 'api_tokens', userId: string) {
		const rows = await api.db
			.selectFrom(table)
			.select('id')
			.where('user_id', '=', userId)
			.execute();
		return rows.length;
	}

	/** Settled results as 'OK' or the error's class name. */
	async function outcomesOf(calls: Promise<unknown>[]): Promise<string[]> {
		const settled = await Promise.allSettled(calls);
		return settled.map((result) =>
			result.status === 'fulfilled' ? 'OK' : (result.reason as Error).name
		);
	}

	describe('calls that change nothing', () => {
		it('twoFactor.clearEmail with no separate address and no pending change, 50 times [nothing written: no audit row]', async () => {
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user));
			const before = await snapshotDatabase(api.db, { ignore: ACTIVITY_STAMPS });
			for (let i = 0; i < 50; i++) await caller.twoFactor.clearEmail();
			expect(await snapshotDatabase(api.db, { ignore: ACTIVITY_STAMPS })).toEqual(before);
		});

		it('backupTokens.revokeMine with no tokens, 50 times [nothing written: no audit row]', async () => {
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user));
			const before = await snapshotDatabase(api.db, { ignore: ACTIVITY_STAMPS });
			for (let i = 0; i < 50; i++) await caller.backupTokens.revokeMine();
			expect(await snapshotDatabase(api.db, { ignore: ACTIVITY_STAMPS })).toEqual(before);
		});
	});

	describe('backup tokens', () => {
		it('backupTokens.generateMine 100 times in an hour [each set replaces the last, so at most 20 held; from the 6th call TOO_MANY_REQUESTS]', async () => {
			advanceToHourStart();
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user));
			const outcomes: string[] = [];
			for (let i = 0; i < 100; i++) {
				outcomes.push(
					await caller.backupTokens.generateMine({ count: 20 }).then(
						() => 'OK',
						(error: { code: string }) => error.code
					)
				);
			}
			const allowed = policy.backupTokens.mintsPerHour;
			expect(outcomes.slice(0, allowed)).toEqual(Array(allowed).fill('OK'));
			expect(new Set(outcomes.slice(allowed))).toEqual(new Set(['TOO_MANY_REQUESTS']));
			expect(await countRows('backup_tokens', user.id)).toBe(20);
			const minted = await api.db
				.selectFrom('audit_log')
				.select('id')
				.where('subject_id', '=', user.id)
				.where('event', '=', 'backup_token.minted')
				.execute();
			expect(minted).toHaveLength(allowed);
		});

		it('backup tokens added on top of 18 held, 10 at once (the command line) [exactly 20 held; the rest refused at the cap]', async () => {
			for (let round = 0; round < 3; round++) {
				const user = await seedUser(api.db);
				await insertBackupTokens(api.db, user.id, 18);
				const outcomes = await outcomesOf(
					Array.from({ length: 10 }, (_, i) =>
						sleep(i % 3).then(() =>
							addBackupTokens(
								testDeps(api.db, { mailer: api.mailer, policy }),
								SYSTEM_ACTOR,
								user.id,
								1
							)
						)
					)
				);
				expect(
					outcomes.filter((o) => o === 'OK'),
					`round ${round}`
				).toHaveLength(2);
				expect(outcomes.filter((o) => o === BackupTokenLimitError.name)).toHaveLength(8);
				expect(await countRows('backup_tokens', user.id)).toBe(policy.backupTokens.maxCount);
			}
		});
	});

	describe('API tokens', () => {
		it('20 API tokens created at once by a user holding 45 [exactly 50 held; the rest refused at the cap]', async () => {
			for (let round = 0; round < 3; round++) {
				const user = await seedUser(api.db);
				for (let i = 0; i < 45; i++) {
					await insertApiToken(
						api.db,
						{ userId: user.id, name: `t${i}`, scopes: ['read'], expiresAt: null },
						Date.now()
					);
				}
				const actor = { actorId: user.id, ip: '203.0.113.7', userAgent: 'vitest' };
				const outcomes = await outcomesOf(
					Array.from({ length: 20 }, (_, i) =>
						sleep(i % 3).then(() =>
							createApiToken(
								testDeps(api.db, { policy: UNLIMITED }),
								actor,
								{ name: `race${i}`, scopes: ['read'], expiresInDays: 30 },
								{ groups: tokenPermissionGroups, role: 'member' }
							)
						)
					)
				);
				expect(
					outcomes.filter((o) => o === 'OK'),
					`round ${round}`
				).toHaveLength(5);
				expect(outcomes.filter((o) => o === ApiTokenLimitError.name)).toHaveLength(15);
				expect(await countRows('api_tokens', user.id)).toBe(policy.apiTokens.maxPerUser);
			}
		});

		it('apiTokens.create 11 times in an hour [the 11th TOO_MANY_REQUESTS; 10 held]', async () => {
			advanceToHourStart();
			const user = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(user));
			const input = { name: 'script', scopes: ['read'] as ['read'], expiresInDays: 30 };
			for (let i = 0; i < policy.apiTokens.createsPerHour; i++) {
				await caller.apiTokens.create(input);
			}
			expect((await errorOf(caller.apiTokens.create(input))).code).toBe('TOO_MANY_REQUESTS');
			expect(await countRows('api_tokens', user.id)).toBe(policy.apiTokens.createsPerHour);
		});
	});
});
