// The dashboard's figures: counts, sign-ins vs failures per day for two weeks, and the mail
// queue (waiting, failed, and why the newest failures failed).
import { sql } from 'kysely';
import { countQueuedMail, listFailedMail, type FailedMail, type MailQueueFigures } from '../mail';
import { listRecentAudit, type AuditEvent, type AuditRow, type AuditSubjectTypes } from './audit';
import type { ServiceDeps } from './deps';

const DAY = 24 * 60 * 60 * 1000;
/** The dashboard shows a glance, not the log: the audit page pages through all of it. */
export const RECENT_EVENTS = 8;
/** The newest failed mails the dashboard names. */
export const RECENT_MAIL_FAILURES = 5;
const SIGN_INS: AuditEvent[] = ['otp.verified', 'backup_token.used'];
const FAILURES: AuditEvent[] = ['login.failed', 'otp.failed'];

export interface DashboardSummary {
	users: number;
	activeSessions: number;
	failedSignIns24h: number;
	lockouts24h: number;
	/** The newest RECENT_EVENTS rows of the audit log; the page says so and links to the rest. */
	recent: AuditRow[];
	/** Oldest first; `day` is the UTC date (YYYY-MM-DD). */
	perDay: Array<{ day: string; signIns: number; failures: number }>;
	/** Mail queued and not sent yet, mail given up on, and the newest of those (no bodies). */
	mail: MailQueueFigures & { recentFailures: FailedMail[] };
}

// A literal, not a parameter: MySQL matches the GROUP BY expression to the selected one by text.
const startOfDay = sql<number>`created_at - created_at % ${sql.lit(DAY)}`;

export async function getDashboard(
	deps: ServiceDeps,
	subjects: AuditSubjectTypes,
	now = deps.clock.now()
): Promise<DashboardSummary> {
	const { db } = deps;
	const countEvents = (event: AuditEvent, since: number) =>
		db
			.selectFrom('audit_log')
			.select((eb) => eb.fn.countAll<number>().as('n'))
			.where('event', '=', event)
			.where('created_at', '>=', since)
			.executeTakeFirstOrThrow();
	const firstDay = Math.floor(now / DAY) * DAY - 13 * DAY;
	const [users, sessions, failed, lockouts, recent, counts, mail, mailFailures] = await Promise.all(
		[
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
			listRecentAudit(deps, RECENT_EVENTS, subjects),
			// Only the kinds the chart shows, only two weeks, counted per UTC day by the database:
			// `created_at - created_at % DAY` is the day's start in both dialects.
			db
				.selectFrom('audit_log')
				.select((eb) => ['event', startOfDay.as('day'), eb.fn.countAll<number>().as('n')])
				.where('event', 'in', [...SIGN_INS, ...FAILURES])
				.where('created_at', '>=', firstDay)
				.groupBy(['event', startOfDay])
				.execute(),
			countQueuedMail(db),
			listFailedMail(db, RECENT_MAIL_FAILURES)
		]
	);
	const perDay = Array.from({ length: 14 }, (_, i) => ({
		day: new Date(firstDay + i * DAY).toISOString().slice(0, 10),
		signIns: 0,
		failures: 0
	}));
	for (const row of counts) {
		const bucket = perDay[Math.floor((Number(row.day) - firstDay) / DAY)];
		if (!bucket) continue;
		if (SIGN_INS.includes(row.event as AuditEvent)) bucket.signIns += Number(row.n);
		else bucket.failures += Number(row.n);
	}
	return {
		users: Number(users.n),
		activeSessions: Number(sessions.n),
		failedSignIns24h: Number(failed.n),
		lockouts24h: Number(lockouts.n),
		recent,
		perDay,
		mail: { ...mail, recentFailures: mailFailures }
	};
}
