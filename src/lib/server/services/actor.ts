// Who makes a change and from where, as the services take it and write it to the audit trail.
// Its own module, importing nothing, so every service and the tRPC layer (trpc/actor.ts builds one
// from the context) share one definition without importing each other.

/** Where a change comes from. `actorId` is absent when no person signed in made it (first-run
 * setup, the CLI). */
export interface AuditContext {
	actorId?: string | null;
	ip?: string | null;
	userAgent?: string | null;
}

/** A change made by a signed-in person: the same shape, with the person known. */
export interface Actor extends AuditContext {
	actorId: string;
}
