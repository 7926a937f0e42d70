/** True when a statement failed on a UNIQUE or PRIMARY KEY constraint (SQLite or MySQL). */
export function isUniqueViolation(error: unknown): boolean {
	const code = (error as { code?: unknown } | null)?.code;
	return (
		code === 'ER_DUP_ENTRY' ||
		code === 'SQLITE_CONSTRAINT_UNIQUE' ||
		code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
	);
}

/** Rows touched by an UPDATE or DELETE, as a number on both dialects. */
export function affectedRows(result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }): number {
	return Number(result.numUpdatedRows ?? result.numDeletedRows ?? 0n);
}
