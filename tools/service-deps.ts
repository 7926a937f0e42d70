// The one way tests (and the tools they share with the bench) build what services take: the
// test's database, the real policy, the real clock and log, and a mailer that refuses to send
// unless the test hands it one, so a service that mails unexpectedly fails the test loudly.
import type { Kysely } from 'kysely';
import { getPolicy } from '../src/lib/server/auth/policy';
import type { Database } from '../src/lib/server/db/schema';
import type { Mailer } from '../src/lib/server/mail';
import { serviceDeps, type ServiceDeps } from '../src/lib/server/services/deps';

/** A mailer for services that must not send anything. */
export const noMailer: Mailer = {
	transport: 'outbox',
	send: async (mail) => {
		throw new Error(`unexpected mail to ${mail.to}: ${mail.subject}`);
	},
	close: async () => {}
};

/** ServiceDeps over `db`; anything else (mailer, policy, clock, log) may be replaced. */
export function testDeps(db: Kysely<Database>, overrides: Partial<ServiceDeps> = {}): ServiceDeps {
	return serviceDeps({ db, mailer: noMailer, policy: getPolicy(), ...overrides });
}
