import type { AuthPolicy } from '$lib/server/auth/policy';
import { getPolicy } from '$lib/server/auth/policy';

/**
 * The configuration's rules with ORIGIN set, as a deployment has it: the relying party of security
 * keys and the origin of every mailed link.
 */
export function policyWithOrigin(origin: string): AuthPolicy {
	const policy = getPolicy();
	return {
		...policy,
		webauthn: { ...policy.webauthn, origin },
		mailedLinks: { ...policy.mailedLinks, origin }
	};
}
