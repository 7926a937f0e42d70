/**
 * The database could not be reached, or stopped answering: no connection within the acquire
 * timeout, a lost connection, or a statement past its timeout. Callers answer "try again later"
 * (503) and never act as if the query had found nothing. The message holds the driver's reason
 * for the server log: it never reaches a client.
 */
export class DatabaseUnavailableError extends Error {
	name = 'DatabaseUnavailableError';
}
