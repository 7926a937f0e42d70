// The argon2 queue: a bounded number of hashes run, a bounded number wait, the rest are told
// "busy" at once, so a login flood can neither pile up memory nor make every sign-in slow.
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import {
	hashPassword,
	MAX_CONCURRENT_HASHES,
	MAX_WAITING_HASHES,
	verifyPassword
} from '$lib/server/auth/password';
import { ServerBusyError, TooManyRequestsError } from '$lib/server/errors';
import { toTRPCError } from '$lib/server/trpc/error-map';
import { formatError } from '$lib/server/trpc/errors';
import { failFromError } from '$lib/server/trpc/form-errors';
import { retryResponseMeta } from '$lib/server/trpc/response-meta';

const CAPACITY = MAX_CONCURRENT_HASHES + MAX_WAITING_HASHES;

type Outcome = { index: number; result: 'checked' | 'busy' };

/** Starts `count` verifies in one go and records the order in which they settle. */
async function verifyMany(storedHash: string, count: number): Promise<Outcome[]> {
	const settled: Outcome[] = [];
	await Promise.all(
		Array.from({ length: count }, (_, index) =>
			verifyPassword(storedHash, `wrong password ${index}`).then(
				() => settled.push({ index, result: 'checked' }),
				(error: unknown) => {
					if (!(error instanceof ServerBusyError)) throw error;
					settled.push({ index, result: 'busy' });
				}
			)
		)
	);
	return settled;
}

// Real argon2 work (about 70 hashes in the longest test): slow on a busy machine, never unbounded.
describe('the argon2 queue', { timeout: 30_000 }, () => {
	it('more verifies than slots plus queue [the overflow is refused busy at once; the queue drains]', async () => {
		const storedHash = await hashPassword('the right password');
		const overflow = 8;

		const settled = await verifyMany(storedHash, CAPACITY + overflow);

		const busy = settled.filter((outcome) => outcome.result === 'busy');
		// The last ones asked found the queue full...
		expect(busy.map((outcome) => outcome.index)).toEqual(
			Array.from({ length: overflow }, (_, i) => CAPACITY + i)
		);
		// ...and were answered before a single hash had finished: they waited for nothing.
		expect(settled.slice(0, overflow)).toEqual(busy);
		expect(settled.filter((outcome) => outcome.result === 'checked')).toHaveLength(CAPACITY);

		// Drained: every slot and queue place is free again, so a full load is taken whole.
		const again = await verifyMany(storedHash, CAPACITY);
		expect(again.every((outcome) => outcome.result === 'checked')).toBe(true);
		expect(await verifyPassword(storedHash, 'the right password')).toBe(true);
	});

	it('busy while hashing a new password [refused busy, nothing hashed]', async () => {
		const storedHash = await hashPassword('the right password');
		const flood = verifyMany(storedHash, CAPACITY);
		await expect(hashPassword('a new password')).rejects.toBeInstanceOf(ServerBusyError);
		await flood;
		await expect(hashPassword('a new password')).resolves.toMatch(/^\$argon2id\$/);
	});

	it('busy on the first unknown-user login [later logins still get the dummy hash]', async () => {
		// This file's module instance has not made its dummy hash yet when the flood starts.
		const storedHash = await hashPassword('the right password');
		const flood = verifyMany(storedHash, CAPACITY);
		await expect(verifyPassword(null, 'anything')).rejects.toBeInstanceOf(ServerBusyError);
		await flood;
		await expect(verifyPassword(null, 'anything')).resolves.toBe(false);
	});
});

describe('the busy answer', () => {
	const busy = toTRPCError(new ServerBusyError(1))!;
	/** What tRPC makes of a TOO_MANY_REQUESTS error before our formatter (and responseMeta). */
	const shapeOf = (error: TRPCError) =>
		formatError({
			shape: {
				message: error.message,
				code: -32029,
				data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429 }
			},
			error
		});

	it('reaches an API client [503 SERVICE_UNAVAILABLE with retryAfter, and a Retry-After header]', () => {
		expect(busy).toBeInstanceOf(TRPCError);
		expect(busy.code).toBe('TOO_MANY_REQUESTS');
		const shape = shapeOf(busy);
		expect(shape.message).toBe('The server is busy. Try again in a second');
		expect(shape.data.retryAfter).toBe(1);
		expect(shape.data).toMatchObject({ code: 'SERVICE_UNAVAILABLE', httpStatus: 503 });
		expect(shape.code).toBe(-32603);
		expect(retryResponseMeta(1, [shape])).toEqual({
			status: 503,
			headers: { 'retry-after': '1' }
		});
	});

	it("keeps tRPC's status in a batch where another call got another answer [Retry-After only]", () => {
		const busyShape = shapeOf(busy);
		const limited = shapeOf(toTRPCError(new TooManyRequestsError(30))!);
		expect(retryResponseMeta(2, [busyShape])).toEqual({ headers: { 'retry-after': '1' } });
		expect(retryResponseMeta(2, [busyShape, limited])).toEqual({
			headers: { 'retry-after': '30' }
		});
		expect(retryResponseMeta(1, [limited])).toEqual({ headers: { 'retry-after': '30' } });
	});

	it('reaches the login form [503 with a clear message and retryAfter]', () => {
		const failure = failFromError(busy, { username: 'alice' });
		expect(failure.status).toBe(503);
		expect(failure.data).toMatchObject({
			message: 'The server is busy. Try again in a second',
			retryAfter: 1
		});
	});
});
