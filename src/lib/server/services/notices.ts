// Security notices: mail that tells the owner something happened to their account (a backup
// token used or minted, a lock, an address changed). A notice is queued IN THE TRANSACTION of
// the change it reports (mail/queue.ts): it exists exactly when the change does, and the
// server's sender delivers it, retrying while the mail server is down. Queueing never sends, so
// a mail failure can never undo (or delay) the change.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { isSingleAddress, queueMail, type MailContent, type RequestInfo } from '../mail';
import type { Actor } from './actor';
import { deliveryAddress } from './users';
import type { ServiceDeps } from './deps';

export { describeMailError } from '../mail';

/**
 * Queues `message` to `to` as part of `trx`, the transaction of the change it reports. An
 * address that is not one plain mailbox (stored before today's rules, say) is logged and
 * skipped: a notice never undoes the change.
 */
export async function queueNotice(
	trx: Kysely<Database>,
	deps: ServiceDeps,
	to: string,
	message: MailContent
): Promise<void> {
	if (!isSingleAddress(to)) {
		deps.log.error('[mail] notice not queued: the recipient is not a single address');
		return;
	}
	await queueMail(trx, { to, ...message }, deps.clock.now());
}

/**
 * The notice goes where the user's codes go, read in `trx` (so it is the address as of the
 * change); nothing is queued for a user without an address.
 */
export async function queueNoticeToUser(
	trx: Kysely<Database>,
	deps: ServiceDeps,
	userId: string,
	message: MailContent
): Promise<void> {
	const to = await deliveryAddress({ ...deps, db: trx }, userId);
	if (to) await queueNotice(trx, deps, to, message);
}

/** When and from where a change was made, for the notice about it. */
export function requestOf(actor: Actor<string | null>, at: number): RequestInfo {
	return { at: new Date(at), ip: actor.ip ?? null, userAgent: actor.userAgent ?? null };
}
