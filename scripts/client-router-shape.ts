// The router as a client sees it, read by `npm run client:pack` (scripts/client-router-types.ts)
// with the TypeScript compiler: for every procedure its kind, what it takes and what it answers,
// each written out as plain structure. The server's context (Kysely, the request, the mailer) and
// the named types behind inputs and outputs (zod's, the services' and the resources') appear
// nowhere in it, so the package's declaration needs none of the server's files or packages.
// Nothing imports this file at run time.
import type { AnyProcedure, AnyRouter, ProcedureRouterRecord } from '@trpc/server';
import type { AppRouter } from '../src/lib/client/app-router';

/** One level of `Plain`: boxed, so that a union it rebuilds loses the alias of the original. */
type Expanded<T> = T extends Date
	? { value: T }
	: T extends object
		? { value: { [K in keyof T]: Plain<T[K]> } & {} }
		: { value: T };

/**
 * `T` with every named type written out as its structure (arrays, tuples, optional and readonly
 * members kept; dates stay dates, as superjson carries them). `& {}` and the box make the
 * compiler print the structure rather than the name it came with.
 */
export type Plain<T> =
	Expanded<T> extends infer Box ? (Box extends { value: infer V } ? V : never) : never;

/** A router's procedures and sub-routers, by name. */
export type Shape<Record extends ProcedureRouterRecord> = {
	[K in keyof Record]: Record[K] extends AnyRouter
		? { router: Shape<Record[K]['_def']['record']> }
		: Record[K] extends AnyProcedure
			? {
					kind: Record[K]['_type'];
					/** tRPC's "no input" marker stays as it is: the client treats it apart. */
					input: Plain<Record[K]['_def']['_input_in']>;
					output: Plain<Record[K]['_def']['_output_out']>;
				}
			: never;
};

type Config = AppRouter['_def']['_config']['$types'];

export declare const appRouterShape: Shape<AppRouter['_def']['record']>;
export declare const errorShape: Plain<Config['errorShape']>;
export declare const transformer: Config['transformer'];
