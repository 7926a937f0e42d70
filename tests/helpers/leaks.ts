// What only a stack trace or a database driver would put in a page or an answer: the security
// suites check that no body carries any of it.

/** Words of stack traces and drivers, in any case. */
const WORDS = /\bat [\w.<>]+ \(|node_modules|sqlite3?|mysql|kysely|ZodError|TypeError|SyntaxError/i;

/**
 * Driver error codes, upper case and whole as the drivers write them: a random value in a body
 * (a security key's challenge, a nonce) may well hold `ER_ofe` or `Sqlite_` by chance.
 */
const CODES = /\bSQLITE_[A-Z_]+\b|\bER_[A-Z_]+\b/;

/** The first leak in `body`, or null. */
export function leakIn(body: string): string | null {
	return WORDS.exec(body)?.[0] ?? CODES.exec(body)?.[0] ?? null;
}
