// The limits that the server enforces and the browser states: password length and backup-token
// counts. server/auth/policy.ts builds the policy from these, the zod schemas check them, and the
// pages' hints and input attributes quote them, so each number is written once, here. Outside
// `server/` because the schemas and the pages (both also run in the browser) import it.

/** NIST SP 800-63B: at least 8 characters, no composition rules, long passphrases welcome. */
export const PASSWORD_RULES = { minLength: 8, maxLength: 256 } as const;

/** What a new-password field says about its length. */
export const PASSWORD_LENGTH_HINT = `${PASSWORD_RULES.minLength} to ${PASSWORD_RULES.maxLength} characters`;

/** The longer hint, where someone picks their own password (first admin, own account). */
export const NEW_PASSWORD_HINT = `${PASSWORD_LENGTH_HINT}. A few unrelated words make a good one.`;

/**
 * Backup tokens. `defaultCount`: minted when no count is given (the API, the CLI) and preselected
 * in the forms. `maxCount`: minted at once and held at once.
 */
export const BACKUP_TOKEN_RULES = { defaultCount: 10, maxCount: 20 } as const;

/** The counts the forms offer: a few, the default (preselected), and the most allowed. */
export const BACKUP_TOKEN_COUNT_CHOICES = [
	...new Set([5, BACKUP_TOKEN_RULES.defaultCount, BACKUP_TOKEN_RULES.maxCount])
].sort((a, b) => a - b);
