// Remembered devices as sign-in and people use them: standing in for the second step after a
// right password, listed beside the sessions, forgotten one by one or all at once. Forgetting
// only takes access away, so it needs a person's session but no fresh code.
import { createSession, type NewSession } from '../auth/session';
import {
	deleteRememberedDevice,
	deviceTokenOf,
	forgetRememberedDevices,
	listRememberedDevices,
	useRememberedDevice,
	type IssuedDevice,
	type RememberedDeviceEntry
} from '../auth/remembered-devices';
import type { SessionUser } from '../auth/types';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { recordAudit } from '../db/audit-log';
import { NotFoundError } from '../errors';
import { deviceRememberedMessage } from '../mail';
import type { Actor } from './actor';
import type { ServiceDeps } from './deps';
import { queueNoticeToUser, requestOf } from './notices';
import type { SignInOrigin } from './sign-in-codes';
import { decidingTransaction } from '../db/transaction';

/** The password step ended in a verified session: a remembered device stood in for the code. */
export interface RememberedSignIn {
	status: 'verified';
	session: NewSession;
	user: SessionUser;
	/** The public id of the device that was used. */
	device: string;
}

/**
 * After a right password: a verified session at once, if `cookie` names a live device remembered
 * for this very account (and remembering is on). The session is new (never a pending one) and
 * carries no verified code, so step-up still asks for one. Null: take the second step as usual;
 * nothing was written.
 */
export async function signInWithDevice(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	cookie: string,
	now: number
): Promise<RememberedSignIn | null> {
	const { db, policy } = deps;
	if (policy.rememberDeviceMs <= 0) return null;
	// Forged, or issued to another account: refused here, before any query.
	const token = deviceTokenOf(cookie, user.id);
	if (!token) return null;
	const signedIn = await decidingTransaction(db, async (trx) => {
		const device = await useRememberedDevice(trx, user.id, token, now);
		if (!device) return null;
		const session = await createSession(
			trx,
			policy.session,
			{
				userId: user.id,
				state: 'verified',
				ip: origin.ip,
				userAgent: origin.userAgent,
				withoutCode: true
			},
			now
		);
		const entry = { subjectId: user.id, ip: origin.ip, userAgent: origin.userAgent };
		await recordAudit(trx, { event: 'login.succeeded', ...entry }, now);
		// The second step's row, naming what stood in for it (the dashboard counts sign-ins by it).
		await recordAudit(
			trx,
			{ event: 'otp.verified', actorId: user.id, details: `remembered device ${device}`, ...entry },
			now
		);
		return { session, device };
	});
	if (!signedIn) return null;
	const { id, username, email, role } = user;
	return { status: 'verified', user: { id, username, email, role }, ...signedIn };
}

/** Tells the owner a browser was remembered: queued in `trx`, the transaction that remembered it. */
export async function noticeDeviceRemembered(
	trx: Kysely<Database>,
	deps: ServiceDeps,
	origin: SignInOrigin,
	userId: string,
	device: IssuedDevice,
	now: number
): Promise<void> {
	const message = deviceRememberedMessage({
		expiresAt: device.expiresAt,
		request: requestOf(origin, now)
	});
	await queueNoticeToUser(trx, deps, userId, message);
}

export type { RememberedDeviceEntry };

/** Your live remembered devices, newest first. */
export function listOwnDevices(
	deps: ServiceDeps,
	userId: string
): Promise<RememberedDeviceEntry[]> {
	return listRememberedDevices(deps.db, userId, deps.clock.now());
}

/** Forgets one of your devices: its next sign-in asks for the second step again. */
export async function forgetOwnDevice(
	deps: ServiceDeps,
	actor: Actor,
	publicId: string
): Promise<void> {
	const now = deps.clock.now();
	await decidingTransaction(deps.db, async (trx) => {
		// Someone else's device answers as one that does not exist.
		if (!(await deleteRememberedDevice(trx, actor.actorId, publicId))) {
			throw new NotFoundError('No such device');
		}
		await recordAudit(
			trx,
			{ event: 'device.forgotten', subjectId: actor.actorId, details: publicId, ...actor },
			now
		);
	});
}

/** Forgets all your devices; returns how many. None: nothing is written. */
export async function forgetAllOwnDevices(deps: ServiceDeps, actor: Actor): Promise<number> {
	const now = deps.clock.now();
	return decidingTransaction(deps.db, (trx) =>
		forgetRememberedDevices(trx, actor.actorId, now, { ...actor, reason: 'forget all' })
	);
}
