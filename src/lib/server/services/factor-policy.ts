// FACTOR_POLICY as sign-in, step-up and enrolment apply it. A role the policy names must have one
// of its kinds (an authenticator app, a security key). Until a person has one, any factor still
// finishes a sign-in (else nobody could enrol), but the session is marked and may only set one up
// (the tRPC tiers). Once they have one, they sign in and step up only with the kinds listed, or a
// backup token (the recovery path); no code is emailed to them. Read at each sign-in, so a role or
// policy change takes effect at the person's next one.
import type { Kysely } from 'kysely';
import type { FactorKind } from '../config';
import type { Database } from '../db/schema';
import {
	clearEnrolmentMarks,
	enrolmentKindsOf,
	heldKinds,
	requiredKindsOf,
	roleOf
} from '../auth/factor-policy';
import { forgetRememberedDevices } from '../auth/remembered-devices';
import type { SessionInfo, SessionUser } from '../auth/types';
import { FactorNotAllowedError } from '../errors';
import type { Actor } from './actor';
import type { ServiceDeps } from './deps';

/** The ways to finish a sign-in (or a step-up); `auth.login` and `auth.me` list an account's. */
export type SecondFactorMethod = 'email' | 'backup_token' | 'totp' | 'webauthn';

/** What FACTOR_POLICY asks of a person now (`auth.login` and `auth.me` show it). */
export interface FactorRequirement {
	/** The kinds their role must have one of, in the policy's order; empty: none required. */
	required: FactorKind[];
	/**
	 * They hold none of `required` yet: a session they sign in is marked, and may only set one up
	 * until they do.
	 */
	enrolmentRequired: boolean;
}

/** The requirement, given the kinds the person holds (read by the caller). */
export function requirementOf(
	required: readonly FactorKind[],
	held: ReadonlySet<string>
): FactorRequirement {
	return {
		required: [...required],
		enrolmentRequired: required.length > 0 && !required.some((kind) => held.has(kind))
	};
}

/**
 * What `auth.me` says of a verified session (or API token): the kinds the role requires, and
 * whether this very session must set one up before anything else (it was marked at promotion).
 */
export function sessionRequirement(
	deps: Pick<ServiceDeps, 'policy'>,
	user: Pick<SessionUser, 'role'>,
	session: Pick<SessionInfo, 'enrolmentRequired'>
): FactorRequirement {
	const { factors } = deps.policy;
	return {
		required: [...requiredKindsOf(factors, user.role)],
		enrolmentRequired: enrolmentKindsOf(factors, user.role, session).length > 0
	};
}

/** Whether the policy lets a person whose requirement is this finish a second step with `method`. */
export function allowsMethod(requirement: FactorRequirement, method: SecondFactorMethod): boolean {
	// No policy, or none of its kinds yet: any factor (the session is marked afterwards).
	if (requirement.required.length === 0 || requirement.enrolmentRequired) return true;
	return method === 'backup_token' || requirement.required.some((kind) => kind === method);
}

/** The person's requirement, read now (in the caller's transaction when `db` is one). */
export async function factorRequirement(
	deps: Pick<ServiceDeps, 'policy'>,
	db: Kysely<Database>,
	user: Pick<SessionUser, 'id' | 'role'>
): Promise<FactorRequirement> {
	const required = requiredKindsOf(deps.policy.factors, user.role);
	if (required.length === 0) return requirementOf(required, new Set());
	return requirementOf(required, new Set(await heldKinds(db, user.id, required)));
}

/**
 * Refuses `method` for a person who holds a factor their role requires and `method` is not one
 * (nor a backup token). Called before a try is reserved or a code is sent, so a refusal counts
 * nothing and mails nothing.
 */
export async function assertMethodAllowed(
	deps: ServiceDeps,
	user: Pick<SessionUser, 'id' | 'role'>,
	method: SecondFactorMethod
): Promise<void> {
	if (method === 'backup_token') return;
	const requirement = await factorRequirement(deps, deps.db, user);
	if (!allowsMethod(requirement, method)) {
		throw new FactorNotAllowedError(method, requirement.required);
	}
}

/** Read in a factor's enrolment transaction before the factor is stored (`afterFactorAdded`). */
export interface PolicyBeforeEnrolment {
	required: readonly FactorKind[];
	/** The required kinds the person held before this one. */
	held: FactorKind[];
}

export async function policyBeforeEnrolment(
	deps: Pick<ServiceDeps, 'policy'>,
	trx: Kysely<Database>,
	userId: string
): Promise<PolicyBeforeEnrolment> {
	const required = requiredKindsOf(deps.policy.factors, (await roleOf(trx, userId)) ?? '');
	return { required, held: required.length > 0 ? await heldKinds(trx, userId, required) : [] };
}

/**
 * In the enrolment's transaction, once a factor of `kind` is stored: when the role requires that
 * kind, the person's sessions are free (the enrolment mark is lifted), and if it is the first
 * required factor they have, the browsers remembered without one are forgotten: they skip a
 * second step that no longer lets the person in.
 */
export async function afterFactorAdded(
	trx: Kysely<Database>,
	before: PolicyBeforeEnrolment,
	kind: FactorKind,
	actor: Actor,
	userId: string,
	now: number
): Promise<void> {
	if (!before.required.includes(kind)) return;
	await clearEnrolmentMarks(trx, userId);
	if (before.held.length === 0) {
		await forgetRememberedDevices(trx, userId, now, {
			...actor,
			reason: 'first factor the role requires'
		});
	}
}
