// Inputs an attacker would send to every procedure of the router, for the suites that call each
// one from a session that must be refused (a pending session, a session under FACTOR_POLICY).
import type { AnyRouter } from '@trpc/server';
import type { z } from 'zod';
import { appRouter } from '$lib/server/trpc/router';
import type { ProcedureDoc } from '../../scripts/api-reference';
import { TEST_PASSWORD } from '../../tools/sign-in';
import { resourceCalls, type CallTargets } from './resource-calls';
import { SHAPED_ASSERTION, SHAPED_ATTESTATION } from './security-keys';

const { calls: resourceProcedureCalls, unreachable } = resourceCalls();

/** Resource procedures no input can reach (options without a reference field, no actions). */
export const noValidInput = unreachable;

/**
 * What the attacker would send to each input field: all aimed at the victim, so a call that got
 * through would show in the database. A procedure with a field not listed here fails the suites
 * until it gets a value (the resources' procedures get theirs from the definitions).
 */
export function attackValues(victim: {
	id: string;
	sessionPublicId: string;
}): Record<string, unknown> {
	return {
		id: victim.id,
		ids: [victim.id],
		userId: victim.id,
		publicId: victim.sessionPublicId,
		active: false,
		role: 'admin',
		username: 'attacker',
		email: 'attacker@evil.test',
		// The session's own password: the attacker has it, that is how they got this far.
		current: TEST_PASSWORD,
		next: 'attacker-chosen password',
		password: 'attacker-chosen password',
		name: 'attacker',
		scopes: ['read', 'write'],
		expiresInDays: null,
		code: '123456',
		count: 20,
		// Any well-formed id: a setup of nobody's, or the victim's if it were guessed.
		enrolmentId: victim.id,
		// A security key's answer of the right shape: an assertion, and for registering one an
		// attestation (`<path>.<field>` where one name takes two shapes).
		response: SHAPED_ASSERTION,
		'securityKeys.register.response': SHAPED_ATTESTATION
	};
}

interface JsonObjectSchema {
	properties?: Record<string, unknown>;
	required?: string[];
}

/** An input the procedure would accept (the suites check it), or undefined when it takes none. */
export function attackInput(
	procedure: ProcedureDoc,
	values: Record<string, unknown>,
	targets: CallTargets
): unknown {
	if (procedure.input === null) return undefined;
	const resourceCall = resourceProcedureCalls.find((call) => call.path === procedure.path);
	if (resourceCall) return resourceCall.input(targets);
	// Options without a reference field, action without actions: no input is accepted at all.
	if (noValidInput.some((entry) => entry.path === procedure.path)) return {};
	const schema = procedure.input as JsonObjectSchema;
	const input: Record<string, unknown> = {};
	for (const field of Object.keys(schema.properties ?? {})) {
		const own = `${procedure.path}.${field}`;
		if (own in values) input[field] = values[own];
		else if (field in values) input[field] = values[field];
		else if (schema.required?.includes(field)) {
			throw new Error(`${procedure.path}: add a value for "${field}" to attackValues`);
		}
	}
	return input;
}

/** The procedure's zod input schema, to check that an attack input would be accepted. */
export function inputSchemaOf(path: string): z.ZodType | undefined {
	const definitions: Record<string, { _def: { inputs: unknown[] } }> = (appRouter as AnyRouter)._def
		.procedures;
	return definitions[path]!._def.inputs[0] as z.ZodType | undefined;
}
