// The dev outbox page's data. It shows sign-in codes to anyone, so it exists only on the dev
// server (never in a build, whatever NODE_ENV says), never with real mail, never with
// NODE_ENV=production.
import { getConfig } from '../config';
import { isDevServer } from '../dev-server';
import { NotFoundError } from '../errors';
import { listOutbox, type OutboxMessage } from '../mail';
import type { ServiceDeps } from './deps';

/** The newest outbox messages; NotFoundError wherever the outbox must not be seen. */
export async function listDevOutbox(deps: ServiceDeps): Promise<OutboxMessage[]> {
	if (!isDevServer() || deps.mailer.transport !== 'outbox' || getConfig().env === 'production') {
		throw new NotFoundError();
	}
	// A bounded list by design (the page says "the latest 50"): old codes are useless.
	return listOutbox(deps.db, 50);
}
