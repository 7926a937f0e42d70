// Who makes a change and from where, as the services take it and write it to the audit trail.
// Its own module, importing nothing, so every service and the tRPC layer (trpc/actor.ts builds one
// from the context) share one definition without importing each other.

/**
 * Where a change comes from. `actorId` is the signed-in person making it; it is null when no
 * person is (first-run setup, the command line, a sign-in not finished yet). A service that
 * acts for a person takes `Actor` (the default, a person); one that may run without a person
 * takes `Actor<string | null>`.
 */
export interface Actor<Person extends string | null = string> {
	actorId: Person;
	ip: string | null;
	userAgent: string | null;
}

/** No person and no request: the command line, tests that seed data. */
export const SYSTEM_ACTOR: Actor<null> = { actorId: null, ip: null, userAgent: null };
