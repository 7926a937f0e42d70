// Property-based fuzzing of every procedure's input (enumerated from the router), by a caller
// that passes its tier: arbitrary values, JSON values, and records of the procedure's own keys
// with arbitrary values. Whatever arrives, the answer is never INTERNAL_SERVER_ERROR; input the
// procedure's schema refuses is a BAD_REQUEST that changes no row.
// Each run picks a new seed; a failure prints it. Replay with FC_SEED=<seed>.
import { TRPCError } from '@trpc/server';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { procedureAt, useApiHarness } from '../helpers/api-harness';
import { dialects } from '../../tools/databases';
import { MAIL_DELIVERY, snapshotDatabase } from '../helpers/database-contents';
import {
	routerProcedures,
	signInForEveryTier,
	type RouterProcedure
} from '../helpers/tier-callers';

const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() % 2 ** 31;
const RUNS_PER_PROCEDURE = 30;

// Strings that have broken input handling somewhere before.
const NASTY_STRINGS = [
	`' OR 1=1 --`,
	`"; DROP TABLE users; --`,
	'１２３４５６',
	'a\r\nBcc: evil@example.com',
	'\u0000',
	'\uD800',
	'\u202Eevil',
	'%00',
	'__proto__',
	'constructor',
	'a'.repeat(10 * 1024)
];

const anyValue = fc.anything({
	maxDepth: 2,
	withBigInt: true,
	withBoxedValues: true,
	withDate: true,
	withMap: true,
	withNullPrototype: true,
	withSet: true,
	withSparseArray: true,
	withTypedArray: true
});

const fieldValue = fc.oneof(
	anyValue,
	fc.string({ unit: 'binary', maxLength: 40 }),
	fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
	fc.constantFrom(...NASTY_STRINGS),
	fc.integer(),
	fc.double(),
	fc.boolean(),
	fc.constant(null),
	fc.date({ noInvalidDate: false }),
	fc.array(fc.string(), { maxLength: 3 })
);

interface JsonSchema {
	type?: string;
	anyOf?: JsonSchema[];
	enum?: unknown[];
	const?: unknown;
	pattern?: string;
	format?: string;
	minLength?: number;
	maxLength?: number;
	minimum?: number;
	maximum?: number;
	items?: JsonSchema | false;
	prefixItems?: JsonSchema[];
	minItems?: number;
	maxItems?: number;
	properties?: Record<string, JsonSchema>;
}

/**
 * Values of the shape the JSON Schema of a field describes (an id that matches the id pattern,
 * a page in range), so that some runs get past validation and into the services.
 */
function shapedValue(schema: JsonSchema, field: string): fc.Arbitrary<unknown> {
	if (schema.anyOf) return fc.oneof(...schema.anyOf.map((option) => shapedValue(option, field)));
	if (schema.const !== undefined) return fc.constant(schema.const);
	if (schema.enum) return fc.constantFrom(...schema.enum);
	switch (schema.type) {
		case 'string':
			if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
			if (schema.format === 'date-time') return fc.date();
			if (field === 'email') return fc.emailAddress();
			return fc.string({
				unit: 'binary',
				minLength: schema.minLength ?? 0,
				maxLength: Math.min(schema.maxLength ?? 300, 300)
			});
		case 'integer':
		case 'number':
			return fc.integer({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6 });
		case 'boolean':
			return fc.boolean();
		case 'null':
			return fc.constant(null);
		case 'array':
			if (schema.prefixItems) {
				return fc.tuple(...schema.prefixItems.map((item) => shapedValue(item, field)));
			}
			return fc.array(schema.items ? shapedValue(schema.items, field) : anyValue, {
				minLength: schema.minItems ?? 0,
				maxLength: Math.min(schema.maxItems ?? 5, 5)
			});
	}
	return anyValue;
}

/** Arbitrary inputs for one procedure: anything, JSON, and its own keys with any values. */
function inputsFor(procedure: RouterProcedure): fc.Arbitrary<unknown> {
	const properties = (procedure.jsonSchema as JsonSchema | null)?.properties ?? {};
	const ownKeys = Object.fromEntries(procedure.fields.map((field) => [field, fieldValue]));
	const shapedKeys = Object.fromEntries(
		procedure.fields.map((field) => [
			field,
			fc.oneof(
				{ arbitrary: shapedValue(properties[field] ?? {}, field), weight: 4 },
				{ arbitrary: fieldValue, weight: 1 }
			)
		])
	);
	return fc.oneof(
		anyValue,
		fc.jsonValue({ maxDepth: 2 }),
		fc.record(ownKeys, { requiredKeys: [] }),
		{ arbitrary: fc.record(shapedKeys), weight: 3 },
		fc
			.tuple(fc.record(ownKeys, { requiredKeys: [] }), fc.dictionary(fc.string(), fieldValue))
			.map(([known, extra]) => ({ ...extra, ...known }))
	);
}

/** Whether the procedure's own schema accepts the value (a coercion that throws: it does not). */
function acceptsInput(procedure: RouterProcedure, input: unknown): boolean {
	try {
		return procedure.input?.safeParse(input).success ?? true;
	} catch {
		return false;
	}
}

describe.each(dialects)('fuzzing every procedure on %s', (dialect) => {
	const api = useApiHarness(dialect);
	let callers: Awaited<ReturnType<typeof signInForEveryTier>>;

	beforeAll(async () => {
		callers = await signInForEveryTier(api);
	});

	it.each(routerProcedures().map((procedure) => [procedure.path, procedure] as const))(
		`%s with ${RUNS_PER_PROCEDURE} arbitrary inputs [never 500; refused input is a 400 that changes no row]`,
		async (_path, procedure) => {
			const call = procedureAt(callers.forTier(procedure.tier), procedure.path);
			// The mail sender's progress (a notice an accepted call queued, delivered meanwhile) is no
			// change of the call's.
			const read = () => snapshotDatabase(api.db, { ignore: MAIL_DELIVERY });
			let last = await read();
			const property = fc.asyncProperty(inputsFor(procedure), async (input) => {
				const error = await call(input).then(
					() => null,
					(caught: unknown) => caught
				);
				if (error !== null && !(error instanceof TRPCError)) throw error;
				expect(error?.code).not.toBe('INTERNAL_SERVER_ERROR');
				const now = await read();
				if (!acceptsInput(procedure, input)) {
					expect(error?.code).toBe('BAD_REQUEST');
					expect(now).toBe(last);
				}
				// Accepted input may do its work (a login attempt is counted, say): the new baseline.
				last = now;
			});
			const result = await fc.check(property, { numRuns: RUNS_PER_PROCEDURE, seed: SEED });
			if (result.failed) {
				throw new Error(
					`${procedure.path} failed for ${fc.stringify(result.counterexample?.[0])}; ` +
						`replay with FC_SEED=${SEED}\n${result.errorInstance}`
				);
			}
		}
	);
});
