/**
 * The database could not be reached, or stopped answering: no connection within the acquire
 * timeout, a lost connection, or a statement past its timeout. Callers answer "try again later"
 * (503) and never act as if the query had found nothing. `cause` holds the driver's error for the
 * server log; the message is generic and never reaches a client either.
 */
export class DatabaseUnavailableError extends Error {
	name = 'DatabaseUnavailableError';
}
