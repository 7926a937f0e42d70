// A rate limit as a service applies it: the call is counted, or refused with TOO_MANY_REQUESTS.
import { hitWithin, type Hit } from '../auth/rate-limit';
import { TooManyRequestsError } from '../errors';
import type { ServiceDeps } from './deps';

/** Counts one call against `max` per window; the hit is returned so work that fails can give it back. */
export async function countWithin(
	deps: ServiceDeps,
	bucket: string,
	windowMs: number,
	max: number,
	now = deps.clock.now()
): Promise<Hit> {
	const { db } = deps;
	const limited = await hitWithin(db, bucket, windowMs, max, now);
	if (!limited.ok) throw TooManyRequestsError.after(limited.retryAfterMs);
	return limited.counted;
}
