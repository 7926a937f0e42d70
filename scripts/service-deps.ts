// What the command-line scripts give the services: their own database connection and mailer
// (the outbox notice goes to stderr, so stdout stays the script's), the policy, the real clock.
// `close` first delivers the mail the script queued (a notice of the tokens it minted, say)
// through the same queue code the server's sender runs, then ends both connections, or the SMTP
// pool and database would keep the process alive. Mail that cannot go out now stays queued: the
// server sends it once the mail server answers.
import { getPolicy } from '../src/lib/server/auth/policy';
import type { Config } from '../src/lib/server/config';
import { createDb } from '../src/lib/server/db/create-db';
import { createMailer, deliverDueMail } from '../src/lib/server/mail';
import { serviceDeps, type ServiceDeps } from '../src/lib/server/services/deps';

export function openScriptDeps(config: Config): {
	deps: ServiceDeps;
	close: () => Promise<void>;
} {
	const { db } = createDb(config.databaseUrl);
	const mailer = createMailer({ ...config.mail, db, log: console.error });
	const deps = serviceDeps({ db, mailer, policy: getPolicy() });
	const openedAt = deps.clock.now();
	return {
		deps,
		close: async () => {
			try {
				const report = await deliverDueMail(
					{ db, mailer, log: deps.log, now: () => deps.clock.now() },
					{ queuedSince: openedAt }
				);
				if (report.retrying > 0) {
					console.error(
						`${report.retrying} mail(s) could not be sent now; the server will retry them`
					);
				}
				if (report.failed > 0) console.error(`${report.failed} mail(s) could not be sent`);
			} catch (error) {
				// A database that was never migrated has no queue, and nothing was queued in it.
				console.error(
					'[mail] queued mail not delivered:',
					error instanceof Error ? error.message : error
				);
			} finally {
				await mailer.close();
				await db.destroy();
			}
		}
	};
}
