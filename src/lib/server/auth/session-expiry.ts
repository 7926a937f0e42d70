// When a session really ends. Lucia slides the expiry on use (the idle timeout); a session also
// has an absolute limit counted from its creation: 10 minutes while pending, the maximum age once
// verified. This is the one place that combines the two: the adapter applies it to what it
// stores and reads, session.ts to the expiry Lucia hands back after creating or renewing.
import type { AuthPolicy } from './policy';
import type { SessionState } from './types';

/** The earlier of the sliding expiry and the state's absolute limit (ms since the epoch). */
export function sessionExpiresAt(
	lifetimes: AuthPolicy['session'],
	session: { state: SessionState; createdAt: number },
	slidingExpiresAt: number
): number {
	const limit =
		session.state === 'pending_otp' ? lifetimes.pendingLifetimeMs : lifetimes.maxLifetimeMs;
	return Math.min(slidingExpiresAt, session.createdAt + limit);
}
