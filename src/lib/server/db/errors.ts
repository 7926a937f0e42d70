/** True when a statement failed on a UNIQUE or PRIMARY KEY constraint (SQLite or MySQL). */
export function isUniqueViolation(error: unknown): boolean {
	const code = (error as { code?: unknown } | null)?.code;
	return (
		code === 'ER_DUP_ENTRY' ||
		code === 'SQLITE_CONSTRAINT_UNIQUE' ||
		code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
	);
}

/** True when a statement referred to a row that is not there (a FOREIGN KEY, SQLite or MySQL). */
export function isForeignKeyViolation(error: unknown): boolean {
	const code = (error as { code?: unknown } | null)?.code;
	return code === 'ER_NO_REFERENCED_ROW_2' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/** Rows touched by an UPDATE or DELETE, as a number on both dialects. */
export function affectedRows(result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }): number {
	return Number(result.numUpdatedRows ?? result.numDeletedRows ?? 0n);
}

/**
 * True when the database gave up the transaction to resolve a conflict with another one: MySQL's
 * deadlock victim (1213; on Galera also a commit that lost to another node's write), or SQLite's
 * busy snapshot when two processes share the file. The transaction was rolled back whole, so
 * running it again from the start is safe.
 */
export function isTransactionConflict(error: unknown): boolean {
	const code = (error as { code?: unknown } | null)?.code;
	return code === 'ER_LOCK_DEADLOCK' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_BUSY';
}
