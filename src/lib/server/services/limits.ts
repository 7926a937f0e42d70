// A rate limit as a service applies it: the call is counted, or refused with TOO_MANY_REQUESTS.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { hitWithin, type Hit } from '../auth/rate-limit';
import { TooManyRequestsError } from '../errors';

/** Counts one call against `max` per window; the hit is returned so work that fails can give it back. */
export async function countWithin(
	db: Kysely<Database>,
	bucket: string,
	windowMs: number,
	max: number,
	now = Date.now()
): Promise<Hit> {
	const limited = await hitWithin(db, bucket, windowMs, max, now);
	if (!limited.ok) throw TooManyRequestsError.after(limited.retryAfterMs);
	return limited.counted;
}
