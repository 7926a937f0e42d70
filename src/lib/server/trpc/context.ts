import type { RequestEvent } from '@sveltejs/kit';
import type { Kysely } from 'kysely';
import { getPolicy, type AuthPolicy } from '../auth/policy';
import type { DatabaseDialect } from '../config';
import { getDatabase } from '../db';
import type { Database } from '../db/schema';
import { getMailer, type Mailer } from '../mail';
import { serviceDeps, type ServiceDeps } from '../services/deps';

export interface ContextInner {
	db: Kysely<Database>;
	dialect: DatabaseDialect;
	mailer: Mailer;
	policy: AuthPolicy;
	user: App.Locals['user'];
	session: App.Locals['session'];
	/** The raw session token and how it came (cookie or bearer); only auth procedures use it. */
	sessionToken: string | null;
	sessionTransport: App.Locals['sessionTransport'];
	/** Set when a personal API token authenticated the call; the tiers limit what it reaches. */
	apiToken: App.Locals['apiToken'];
	clientAddress: string;
	userAgent: string | null;
	/** The request being served, for cookies; absent when a test or script calls a procedure. */
	event: RequestEvent | null;
	/** What the services take, built once from `db`, `mailer` and `policy` above. */
	deps: ServiceDeps;
}

/** Everything a procedure may use; tests build it directly with their own database. */
export function createContextInner(
	inner: Partial<Omit<ContextInner, 'deps'>> &
		Pick<ContextInner, 'db' | 'dialect' | 'mailer'> &
		Pick<Partial<ServiceDeps>, 'clock' | 'log'>
): ContextInner {
	const { clock, log, ...fields } = inner;
	const policy = fields.policy ?? getPolicy();
	return {
		user: null,
		session: null,
		sessionToken: null,
		sessionTransport: null,
		apiToken: null,
		clientAddress: '127.0.0.1',
		userAgent: null,
		event: null,
		...fields,
		policy,
		deps: serviceDeps({ db: fields.db, mailer: fields.mailer, policy, clock, log })
	};
}

/** The context of an HTTP call or of a server-side caller, built from the request event. */
export async function createContext(event: RequestEvent): Promise<ContextInner> {
	const { db, dialect } = getDatabase();
	return createContextInner({
		db,
		dialect,
		mailer: getMailer(),
		user: event.locals.user,
		session: event.locals.session,
		sessionToken: event.locals.sessionToken,
		sessionTransport: event.locals.sessionTransport,
		apiToken: event.locals.apiToken,
		clientAddress: event.getClientAddress(),
		userAgent: event.request.headers.get('user-agent'),
		event
	});
}

export type Context = ContextInner;
