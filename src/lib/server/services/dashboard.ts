// The dashboard's figures: counts, and sign-ins vs failures per day for two weeks.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { listAudit, type AuditRow } from './audit';

const DAY = 24 * 60 * 60 * 1000;

export interface DashboardSummary {
	users: number;
	activeSessions: number;
	failedSignIns24h: number;
	lockouts24h: number;
	recent: AuditRow[];
	/** Oldest first; `day` is the UTC date (YYYY-MM-DD). */
	perDay: Array<{ day: string; signIns: number; failures: number }>;
}

export async function getDashboard(
	db: Kysely<Database>,
	now = Date.now()
): Promise<DashboardSummary> {
	const countEvents = (event: string, since: number) =>
		db
			.selectFrom('audit_log')
			.select((eb) => eb.fn.countAll<number>().as('n'))
			.where('event', '=', event)
			.where('created_at', '>=', since)
			.executeTakeFirstOrThrow();
	const firstDay = Math.floor(now / DAY) * DAY - 13 * DAY;
	const [users, sessions, failed, lockouts, recent, events] = await Promise.all([
		db
			.selectFrom('users')
			.select((eb) => eb.fn.countAll<number>().as('n'))
			.executeTakeFirstOrThrow(),
		db
			.selectFrom('sessions')
			.select((eb) => eb.fn.countAll<number>().as('n'))
			.where('state', '=', 'verified')
			.where('expires_at', '>', now)
			.executeTakeFirstOrThrow(),
		countEvents('login.failed', now - DAY),
		countEvents('account.locked', now - DAY),
		listAudit(db, { page: 1, pageSize: 8 }),
		// Only the two kinds the chart shows, only two weeks: bucketed here, portably.
		db
			.selectFrom('audit_log')
			.select(['event', 'created_at'])
			.where('event', 'in', ['otp.verified', 'static_token.used', 'login.failed', 'otp.failed'])
			.where('created_at', '>=', firstDay)
			.limit(100_000)
			.execute()
	]);
	const perDay = Array.from({ length: 14 }, (_, i) => ({
		day: new Date(firstDay + i * DAY).toISOString().slice(0, 10),
		signIns: 0,
		failures: 0
	}));
	for (const row of events) {
		const bucket = perDay[Math.floor((Number(row.created_at) - firstDay) / DAY)];
		if (!bucket) continue;
		if (row.event === 'otp.verified' || row.event === 'static_token.used') bucket.signIns++;
		else bucket.failures++;
	}
	return {
		users: Number(users.n),
		activeSessions: Number(sessions.n),
		failedSignIns24h: Number(failed.n),
		lockouts24h: Number(lockouts.n),
		recent: recent.entries,
		perDay
	};
}
