// How many code mails one account may cause. Every code (sign-in, resend, step-up, a new
// two-factor address) counts against one hourly cap; codes to an address that has not proven
// itself also count against a smaller cap of their own, so a session cannot make the app mail
// strangers. Counted before sending, so concurrent requests cannot all slip under a cap; a refused
// request gives its counts back (only mail that goes out counts).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { AuthPolicy } from './policy';
import { hit, release, type Hit } from './rate-limit';

const HOUR = 60 * 60 * 1000;

export type CodeMailAllowance = { ok: true; hits: Hit[] } | { ok: false; retryAfterMs: number };

/** Reserves one code mail for the account; `toNewAddress` for an address not confirmed yet. */
export async function reserveCodeMail(
	db: Kysely<Database>,
	userId: string,
	policy: AuthPolicy['otp'],
	{ toNewAddress = false, now = Date.now() }: { toNewAddress?: boolean; now?: number } = {}
): Promise<CodeMailAllowance> {
	const caps: Array<[bucket: string, max: number]> = [
		...(toNewAddress
			? [[`otp-new-address:${userId}`, policy.maxNewAddressMailsPerHour] as [string, number]]
			: []),
		[`otp-send:${userId}`, policy.maxSendsPerHour]
	];
	const hits: Hit[] = [];
	for (const [bucket, max] of caps) {
		const counted = await hit(db, bucket, HOUR, now);
		hits.push(counted);
		if (counted.count > max) {
			await releaseCodeMail(db, hits);
			return { ok: false, retryAfterMs: counted.retryAfterMs };
		}
	}
	return { ok: true, hits };
}

/** Gives back a reservation whose mail did not go out (a cooldown refused it first, say). */
export async function releaseCodeMail(db: Kysely<Database>, hits: Hit[]): Promise<void> {
	for (const counted of hits) await release(db, counted);
}
