// HTTP status and headers for answers that say "try again later": a `Retry-After` header beside
// the body's `retryAfter`, so proxies and plain HTTP clients can wait without reading tRPC's body,
// and 503 (not tRPC's 429) when the server was busy rather than the caller too eager.
import type { ErrorShape } from './errors';

export interface RetryMeta {
	status?: number;
	headers?: Record<string, string>;
}

/**
 * `calls`: how many calls the request held (a batch may hold several); `errors`: the failed ones.
 * tRPC 10 types responseMeta's `errors` as TRPCError[], but hands over the formatted error shapes
 * (formatError's output): so this reads `data.retryAfter` and `data.code`, never `cause`.
 */
export function retryResponseMeta(calls: number, errors: readonly unknown[]): RetryMeta {
	const shapes = errors as readonly Partial<ErrorShape>[];
	const waits = shapes.flatMap((shape) =>
		typeof shape.data?.retryAfter === 'number' ? [shape.data.retryAfter] : []
	);
	if (waits.length === 0) return {};
	const headers = { 'retry-after': String(Math.max(...waits)) };
	// Only when every call was turned away as busy: a batch with any other answer keeps tRPC's status.
	const allBusy =
		shapes.length === calls && shapes.every((shape) => shape.data?.code === 'SERVICE_UNAVAILABLE');
	return allBusy ? { status: 503, headers } : { headers };
}
