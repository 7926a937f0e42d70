// What the command-line scripts give the services: their own database connection and mailer
// (the outbox notice goes to stderr, so stdout stays the script's), the policy, the real clock.
// `close` ends both, or the SMTP pool and database would keep the process alive.
import { getPolicy } from '../src/lib/server/auth/policy';
import type { Config } from '../src/lib/server/config';
import { createDb } from '../src/lib/server/db/create-db';
import { createMailer } from '../src/lib/server/mail';
import { serviceDeps, type ServiceDeps } from '../src/lib/server/services/deps';

export function openScriptDeps(config: Config): {
	deps: ServiceDeps;
	close: () => Promise<void>;
} {
	const { db } = createDb(config.databaseUrl);
	const mailer = createMailer({ ...config.mail, db, log: console.error });
	return {
		deps: serviceDeps({ db, mailer, policy: getPolicy() }),
		close: async () => {
			await mailer.close();
			await db.destroy();
		}
	};
}
