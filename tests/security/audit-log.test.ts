// The audit log as it grows and as people read it: every statement that reads it is served by an
// index (checked on the plans SQLite and MariaDB choose), rows written in the same millisecond
// list in the order they were written, and a member's own history never shows the address or
// browser of an administrator who acted on their account.
import { CompiledQuery, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatabaseDialect } from '$lib/server/config';
import { createDb } from '$lib/server/db/create-db';
import { createMailer } from '$lib/server/mail';
import type { Database } from '$lib/server/db/schema';
import { recordAudit } from '$lib/server/db/audit-log';
import { createContextInner } from '$lib/server/trpc/context';
import { createCaller } from '$lib/server/trpc/router';
import { useApiHarness, type Caller } from '../helpers/api-harness';
import { seedAuditVolume, type AuditVolume } from '../../tools/audit-volume';
import { createMigratedDatabase, dialects, type TestDatabase } from '../../tools/databases';
import {
	captureQueries,
	explain,
	formatPlan,
	type CapturedQuery,
	type PlanStep
} from '../../tools/query-plans';
import { seedUser } from '../../tools/sign-in';

// Enough rows that MariaDB's optimizer, which prefers a table scan over an index on a tiny
// table, judges the log as it would a real one.
const VOLUME = { rows: 20_000, users: 200 };

/** The index whose walk in time order is the listing itself (stopped by the page's LIMIT). */
const TIME_INDEX = 'audit_log_newest_idx';
/** MariaDB's access types that look rows up through a key. */
const MYSQL_LOOKUPS = ['const', 'eq_ref', 'ref', 'range'];

const DAY = 24 * 60 * 60 * 1000;

interface AuditCall {
	label: string;
	/** The member calls for their own history; the admin (who acted on members) for the rest. */
	as: 'member' | 'admin';
	call(caller: Caller, volume: AuditVolume): Promise<unknown>;
}

const lastMonth = () => ({ from: new Date(Date.now() - 30 * DAY), to: new Date() });

// Every way the app reads the log: each filter of audit.list alone and combined, deep pages,
// a member's history, and the dashboard.
const CALLS: AuditCall[] = [
	{
		label: "a member's users.history, page 1",
		as: 'member',
		call: (caller, { memberId }) => caller.users.history({ id: memberId })
	},
	{
		label: "a member's users.history, page 3",
		as: 'member',
		call: (caller, { memberId }) => caller.users.history({ id: memberId, page: 3 })
	},
	{ label: 'audit.list, page 1', as: 'admin', call: (caller) => caller.audit.list({}) },
	{ label: 'audit.list, page 40', as: 'admin', call: (caller) => caller.audit.list({ page: 40 }) },
	{
		label: 'audit.list by event',
		as: 'admin',
		call: (caller) => caller.audit.list({ event: 'login.failed' })
	},
	{
		label: 'audit.list by user (a member)',
		as: 'admin',
		call: (caller, { memberId }) => caller.audit.list({ userId: memberId })
	},
	{
		label: 'audit.list by user (an admin who acted on members)',
		as: 'admin',
		call: (caller, { adminId }) => caller.audit.list({ userId: adminId, page: 2 })
	},
	{ label: 'audit.list by dates', as: 'admin', call: (caller) => caller.audit.list(lastMonth()) },
	{
		label: 'audit.list by event and dates',
		as: 'admin',
		call: (caller) => caller.audit.list({ event: 'otp.sent', ...lastMonth() })
	},
	{
		label: 'audit.list by user, event and dates',
		as: 'admin',
		call: (caller, { memberId }) =>
			caller.audit.list({ userId: memberId, event: 'otp.verified', ...lastMonth() })
	},
	{ label: 'audit.dashboard', as: 'admin', call: (caller) => caller.audit.dashboard() }
];

/** What is wrong with a statement's plan: reads of audit_log that are not index lookups. */
function planProblems(dialect: DatabaseDialect, query: CapturedQuery, steps: PlanStep[]): string[] {
	const problems: string[] = [];
	for (const step of steps.filter((candidate) => candidate.table === 'audit_log')) {
		const lookup =
			dialect === 'sqlite' ? step.access === 'SEARCH' : MYSQL_LOOKUPS.includes(step.access ?? '');
		const timeWalk =
			step.index === TIME_INDEX && step.access === (dialect === 'sqlite' ? 'SCAN' : 'index');
		if (!lookup && !(timeWalk && /\blimit\b/i.test(query.sql))) {
			problems.push(`scans audit_log: ${step.text}`);
		}
		// Grouping sorts its groups (a day's counts), never the log's rows for a listing.
		if (step.sorts && !/\bgroup by\b/i.test(query.sql)) {
			problems.push(`sorts audit_log rows: ${step.text}`);
		}
	}
	return problems;
}

describe.each(dialects)('the audit log on %s', (dialect) => {
	describe('every statement that reads audit_log uses an index', () => {
		let database: TestDatabase;
		let db: Kysely<Database>;
		let volume: AuditVolume;
		const capture = captureQueries();

		beforeAll(async () => {
			database = await createMigratedDatabase(dialect);
			// A second handle on the same database, whose statements are captured.
			db = createDb(database.url, { log: capture.log }).db;
			volume = await seedAuditVolume(db, VOLUME);
			// As on a server: InnoDB keeps index statistics up to date by itself.
			if (dialect === 'mysql') await db.executeQuery(CompiledQuery.raw('analyze table audit_log'));
		});
		afterAll(async () => {
			await db?.destroy();
			await database?.drop();
		});

		function callerAs(id: string, role: 'admin' | 'member'): Caller {
			const mailer = createMailer({ transport: 'outbox', from: 'x@localhost', db });
			return createCaller(
				createContextInner({
					db,
					dialect,
					mailer,
					user: { id, username: id, email: null, role },
					session: {
						publicId: 'plan-test',
						state: 'verified',
						expiresAt: null,
						verifiedAt: new Date(),
						lastSeenAt: null,
						enrolmentRequired: false
					},
					sessionToken: 'plan-test',
					sessionTransport: 'bearer'
				})
			);
		}

		it.each(CALLS)(
			`$label on a ${VOLUME.rows.toLocaleString('en')}-row log [every read of audit_log is an index lookup, or the time index walked up to a LIMIT; no full scan, no sort of its rows]`,
			async ({ as, call }) => {
				const caller =
					as === 'member' ? callerAs(volume.memberId, 'member') : callerAs(volume.adminId, 'admin');
				capture.take();
				await call(caller, volume);
				const statements = capture.take().filter((query) => /\baudit_log\b/.test(query.sql));
				expect(statements.length).toBeGreaterThan(0);
				const report: string[] = [];
				for (const query of statements) {
					const steps = await explain(db, dialect, query);
					const problems = planProblems(dialect, query, steps);
					if (problems.length > 0) report.push([...problems, formatPlan(query, steps)].join('\n'));
				}
				expect(report.join('\n\n')).toBe('');
			}
		);
	});

	describe('rows written in the same millisecond', () => {
		const api = useApiHarness(dialect);

		it('20 rows recorded within one millisecond, 15 rounds, read by audit.list, users.history and the dashboard [newest first in exactly the reverse of the order they were written, every round]', async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const member = await seedUser(api.db);
			const caller = await api.callerFor(await api.signIn(admin));
			const start = Date.now() + 60 * 60 * 1000;
			for (let round = 0; round < 15; round++) {
				// One frozen millisecond per round, later than anything else in the log.
				vi.useFakeTimers({ toFake: ['Date'] });
				vi.setSystemTime(start + round * 1000);
				const written = Array.from({ length: 20 }, (_, i) => `round ${round} row ${i}`);
				for (const details of written) {
					await recordAudit(api.db, {
						event: 'user.updated',
						actorId: admin.id,
						subjectId: member.id,
						details
					});
				}
				vi.useRealTimers();
				const newestFirst = [...written].reverse();
				const details = (entries: Array<{ details: string | null }>, n = 20) =>
					entries.slice(0, n).map((entry) => entry.details);

				const byUser = await caller.audit.list({ userId: member.id, event: 'user.updated' });
				expect(details(byUser.entries)).toEqual(newestFirst);
				expect(details((await caller.audit.list({})).entries)).toEqual(newestFirst);
				const history = await caller.users.history({ id: member.id });
				expect(details(history.entries)).toEqual(newestFirst);
				const pages = await Promise.all(
					[1, 2].map((page) => caller.audit.list({ userId: member.id, pageSize: 10, page }))
				);
				expect(pages.flatMap((page) => details(page.entries, 10))).toEqual(newestFirst);
				expect(details((await caller.audit.dashboard()).recent, 8)).toEqual(
					newestFirst.slice(0, 8)
				);
			}
		});
	});

	describe("a member's own history", () => {
		const api = useApiHarness(dialect);
		const ADMIN_CLIENT = { ip: '198.51.100.77', userAgent: 'AdminBrowser/1.0 (admin desk)' };

		it("an admin sets a member's password and unlocks them, then the member reads users.history [the admin's rows carry no address or browser; the member's own rows keep theirs; an admin still sees all]", async () => {
			const admin = await seedUser(api.db, { role: 'admin' });
			const member = await seedUser(api.db);
			const adminToken = await api.signIn(admin);
			const asAdmin = await api.callerFor(adminToken, ADMIN_CLIENT);
			const password = 'a new password set by the admin';
			await asAdmin.users.setPassword({ id: member.id, password });
			await asAdmin.users.unlock({ id: member.id });

			const memberToken = await api.signIn({ ...member, password });
			const { entries } = await (await api.callerFor(memberToken)).users.history({ id: member.id });
			const byAdmin = entries.filter((entry) => entry.actor === admin.username);
			expect(byAdmin.map((entry) => entry.event).sort()).toEqual([
				'account.unlocked',
				'user.password_set'
			]);
			for (const entry of byAdmin) expect(entry).toMatchObject({ ip: null, userAgent: null });
			expect(JSON.stringify(entries)).not.toContain(ADMIN_CLIENT.ip);
			expect(JSON.stringify(entries)).not.toContain('AdminBrowser');
			// Their own sign-in: the password step (no actor) and the code (them).
			for (const event of ['login.succeeded', 'otp.verified']) {
				expect(entries.find((entry) => entry.event === event)).toMatchObject({
					ip: '203.0.113.7',
					userAgent: 'vitest'
				});
			}

			const { entries: asSeenByAdmin } = await asAdmin.users.history({ id: member.id });
			for (const entry of asSeenByAdmin.filter((entry) => entry.actor === admin.username)) {
				expect(entry).toMatchObject(ADMIN_CLIENT);
			}
		});
	});
});
