// The only module (with kysely-adapter.ts) that imports Lucia, so replacing Lucia touches
// nothing else.
import { Lucia, TimeSpan } from 'lucia';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { KyselyAdapter } from './kysely-adapter';
import type { AuthPolicy } from './policy';
import type { SessionAttributes, SessionUser } from './types';

type UserAttributes = Omit<SessionUser, 'id'>;

function buildLucia(db: Kysely<Database>, lifetimes: AuthPolicy['session']) {
	return new Lucia(new KyselyAdapter(db, lifetimes), {
		sessionExpiresIn: new TimeSpan(lifetimes.idleTimeoutMs / 1000, 's'),
		getSessionAttributes: (attributes) => attributes,
		getUserAttributes: (attributes) => attributes
	});
}

export type AuthLucia = ReturnType<typeof buildLucia>;

declare module 'lucia' {
	interface Register {
		Lucia: AuthLucia;
		DatabaseSessionAttributes: SessionAttributes;
		DatabaseUserAttributes: UserAttributes;
		UserId: string;
	}
}

// Lucia objects are cheap; one per database handle (or transaction) keeps tests and
// transactions on the right connection.
const cache = new WeakMap<Kysely<Database>, AuthLucia>();

export function luciaFor(db: Kysely<Database>, lifetimes: AuthPolicy['session']): AuthLucia {
	let lucia = cache.get(db);
	if (!lucia) {
		lucia = buildLucia(db, lifetimes);
		cache.set(db, lucia);
	}
	return lucia;
}
