// Security notices: mail that tells the owner something happened to their account (a backup
// token used or minted, a lock, an address changed). The change has already happened when the
// notice goes out, so a notice is best effort: a mail failure is logged, never undoes the change.
import type { MailContent, RequestInfo } from '../mail';
import type { Actor } from './actor';
import { deliveryAddress } from './users';
import type { ServiceDeps } from './deps';

export async function sendNotice(
	deps: ServiceDeps,
	to: string,
	message: MailContent
): Promise<void> {
	await deps.mailer.send({ to, ...message }).catch((error: unknown) => {
		deps.log.error(`[mail] notice not sent: ${describeMailError(error)}`);
	});
}

/** The notice goes where the user's codes go; nothing is sent to a user without an address. */
export async function noticeToUser(
	deps: ServiceDeps,
	userId: string,
	message: MailContent
): Promise<void> {
	const to = await deliveryAddress(deps, userId);
	if (to) await sendNotice(deps, to, message);
}

/** When and from where a change was made, for the notice about it. */
export function requestOf(actor: Actor<string | null>, at: number): RequestInfo {
	return { at: new Date(at), ip: actor.ip ?? null, userAgent: actor.userAgent ?? null };
}

/** The transport's reason (e.g. ECONNREFUSED) for the server log; mail errors never hold codes. */
export function describeMailError(error: unknown): string {
	if (!(error instanceof Error)) return String(error);
	const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
	return error.message + cause;
}
