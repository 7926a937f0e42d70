import type { TRPCError } from '@trpc/server';
import { PublicError } from '../errors';

const logged = new WeakSet<TRPCError>();

/** What a scrubbed value is replaced with. */
export const REDACTED = '[redacted]';

// Values under these keys are secrets whatever their type or length. changePassword's
// `current` and `next` are passwords too.
const SECRET_KEY = /pass|code|token|secret|key|current|next/i;
// Every other string of the input is scrubbed as well (a secret can sit under any key, or be
// pasted into the wrong field), except very short ones: blanking each `id` or `ok` out of a
// stack trace would only hide where the failure happened.
const MIN_SCRUBBED_LENGTH = 4;
// Inputs are parsed JSON, bounded in size already; this only stops a pathological nesting.
const MAX_DEPTH = 10;

/**
 * Server-side record of failed calls. tRPC hands us the call's input, which carries passwords,
 * codes and tokens: it is never logged, and since an error's message may quote what it was
 * given (a driver error, a bug), every input value and the session token are scrubbed out of
 * the message and stack before they are printed.
 */
export function logTrpcError({
	error,
	path,
	type,
	input,
	ctx
}: {
	error: TRPCError;
	path?: string;
	type: string;
	input?: unknown;
	ctx?: { sessionToken?: string | null };
}): void {
	// Expected failures (a service's own error, bad input) are answers, not incidents.
	if (error.code !== 'INTERNAL_SERVER_ERROR' || error.cause instanceof PublicError) return;
	// The procedure middleware logs first (it sees every call, with its input); the HTTP
	// handle's onError then only adds what failed outside any procedure.
	if (logged.has(error)) return;
	logged.add(error);
	const cause = error.cause ?? error;
	const detail = scrubSecrets(cause.stack ?? cause.message, [input, ctx?.sessionToken]);
	console.error(`[trpc] ${type} ${path ?? '?'} failed:`, detail);
}

/** `text` with every secret-looking value found in `sources` replaced by `[redacted]`. */
export function scrubSecrets(text: string, sources: unknown[]): string {
	const values = new Set<string>();
	// A source that is itself a string (the session token, a bare input) is a secret whole.
	for (const source of sources) collectValues(source, typeof source === 'string', values, 0);
	// Also as they appear inside JSON (a message that quotes the input as JSON escapes them).
	for (const value of [...values]) values.add(JSON.stringify(value).slice(1, -1));
	// Longest first, so a value that contains another is removed whole.
	return [...values]
		.sort((a, b) => b.length - a.length)
		.reduce((scrubbed, value) => scrubbed.replaceAll(value, REDACTED), text);
}

function collectValues(value: unknown, secret: boolean, into: Set<string>, depth: number): void {
	if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') {
		const text = String(value);
		const longEnough = typeof value === 'string' && text.length >= MIN_SCRUBBED_LENGTH;
		if (text !== '' && (secret || longEnough)) into.add(text);
		return;
	}
	if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return;
	const entries: Iterable<[unknown, unknown]> =
		value instanceof Map
			? value.entries()
			: value instanceof Set
				? [...value].map((item) => [null, item])
				: Object.entries(value);
	for (const [key, item] of entries) {
		const secretKey = typeof key === 'string' && SECRET_KEY.test(key);
		collectValues(item, secret || secretKey, into, depth + 1);
	}
}
