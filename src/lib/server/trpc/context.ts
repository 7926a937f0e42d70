import type { RequestEvent } from '@sveltejs/kit';
import type { Kysely } from 'kysely';
import type { DatabaseDialect } from '../config';
import { getDatabase } from '../db';
import type { Database } from '../db/schema';

export interface ContextInner {
	db: Kysely<Database>;
	dialect: DatabaseDialect;
	user: App.Locals['user'];
	session: App.Locals['session'];
	clientAddress: string;
	userAgent: string | null;
	/** The request being served, for cookies; absent when a test or script calls a procedure. */
	event: RequestEvent | null;
}

/** Everything a procedure may use; tests build it directly with their own database. */
export function createContextInner(
	inner: Partial<ContextInner> & Pick<ContextInner, 'db' | 'dialect'>
): ContextInner {
	return {
		user: null,
		session: null,
		clientAddress: '127.0.0.1',
		userAgent: null,
		event: null,
		...inner
	};
}

/** The context of an HTTP call or of a server-side caller, built from the request event. */
export async function createContext(event: RequestEvent): Promise<ContextInner> {
	const { db, dialect } = getDatabase();
	return createContextInner({
		db,
		dialect,
		user: event.locals.user,
		session: event.locals.session,
		clientAddress: event.getClientAddress(),
		userAgent: event.request.headers.get('user-agent'),
		event
	});
}

export type Context = ContextInner;
