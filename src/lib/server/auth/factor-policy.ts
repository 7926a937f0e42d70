// FACTOR_POLICY's facts about one person: which factor kinds their role requires, which of those
// they hold, and the per-session mark of someone who must set one up first. The rules that use
// them (what sign-in accepts, what a marked session may call) live in services/factor-policy.ts
// and the tRPC tiers.
import type { Kysely } from 'kysely';
import type { FactorKind, FactorPolicy } from '../config';
import type { Database } from '../db/schema';
import { affectedRows } from '../db/errors';
import type { Role } from '../../permissions';
import { findUsableFactor } from './totp';
import type { SessionInfo } from './types';
import { countCredentials } from './webauthn-credentials';

/** The kinds a role must have one of; none for a role the policy does not name. */
export function requiredKindsOf(policy: FactorPolicy, role: string): readonly FactorKind[] {
	return Object.hasOwn(policy, role) ? (policy[role as Role] ?? []) : [];
}

/**
 * The kinds a session must set up one of before it may do anything else: none unless it was
 * marked at promotion and the person's role still requires a factor (a policy lifted, or a role
 * moved out of it, frees the session at once; a stricter one waits for the next sign-in).
 */
export function enrolmentKindsOf(
	policy: FactorPolicy,
	role: string,
	session: Pick<SessionInfo, 'enrolmentRequired'>
): readonly FactorKind[] {
	return session.enrolmentRequired ? requiredKindsOf(policy, role) : [];
}

/**
 * Which of `kinds` the person holds: a security key, or an authenticator whose secret can still be
 * read (one sealed under a rotated AUTH_SECRET signs nobody in, so it counts as none).
 */
export async function heldKinds(
	db: Kysely<Database>,
	userId: string,
	kinds: readonly FactorKind[]
): Promise<FactorKind[]> {
	const [keys, totp] = await Promise.all([
		kinds.includes('webauthn') ? countCredentials(db, userId) : 0,
		kinds.includes('totp') ? findUsableFactor(db, userId) : undefined
	]);
	return kinds.filter((kind) => (kind === 'webauthn' ? keys > 0 : totp !== undefined));
}

/** The role of a user, read in the caller's transaction; null when there is no such user. */
export async function roleOf(db: Kysely<Database>, userId: string): Promise<string | null> {
	const row = await db
		.selectFrom('users')
		.select('role')
		.where('id', '=', userId)
		.executeTakeFirst();
	return row?.role ?? null;
}

/** Lifts the enrolment mark from every session of the user; how many carried it. */
export async function clearEnrolmentMarks(db: Kysely<Database>, userId: string): Promise<number> {
	const cleared = await db
		.updateTable('sessions')
		.set({ enrolment_required: 0 })
		.where('user_id', '=', userId)
		.where('enrolment_required', '=', 1)
		.executeTakeFirst();
	return affectedRows(cleared);
}
