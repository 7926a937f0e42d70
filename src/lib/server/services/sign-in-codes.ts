// Sign-in and step-up codes by email: sending one, resending one, and the hourly cap on both.
import { releaseCodeMail, reserveCodeMail, type CodeMailAllowance } from '../auth/code-mail-limits';
import { sha256Hex } from '../auth/crypto';
import { createCode, replaceCode, resendAvailableAt } from '../auth/email-otp';
import type { SessionUser } from '../auth/types';
import { otpMessage } from '../mail';
import { isForeignKeyViolation, isUniqueViolation } from '../db/errors';
import { recordAudit } from '../db/audit-log';
import { describeMailError, requestOf } from './notices';
import {
	CodeDeliveryError,
	InvalidRequestError,
	NoEmailError,
	TooManyRequestsError
} from '../errors';
import type { Actor } from './actor';
import type { ServiceDeps } from './deps';
import { assertMethodAllowed } from './factor-policy';
import { deliveryAddress } from './users';

/**
 * Where a sign-in step comes from. No person is signed in yet (`actorId` is null until the
 * session is verified), but the address and browser are written to the audit trail.
 */
export type SignInOrigin = Actor<string | null> & { ip: string };

/** Counts a send against the account's hourly cap (before sending, so races cannot pass it). */
export function countSend(
	deps: ServiceDeps,
	userId: string,
	now: number
): Promise<CodeMailAllowance> {
	return reserveCodeMail(deps.db, userId, deps.policy.otp, { now });
}

/** Emails a code; false (and audited) when it could not go out. */
export async function deliverCode(
	deps: ServiceDeps,
	origin: SignInOrigin,
	userId: string,
	email: string,
	code: string,
	expiresAt: number
): Promise<boolean> {
	const request = requestOf(origin, deps.clock.now());
	let sent = true;
	try {
		await deps.mailer.send({
			to: email,
			...otpMessage({ code, expiresAt: new Date(expiresAt), request }),
			devNote: `code ${code}`
		});
	} catch (error) {
		deps.log.error(`[mail] sign-in code not sent: ${describeMailError(error)}`);
		sent = false;
	}
	await recordAudit(deps.db, {
		event: sent ? 'otp.sent' : 'otp.send_failed',
		subjectId: userId,
		ip: origin.ip,
		userAgent: origin.userAgent
	});
	return sent;
}

export interface Resent {
	codeExpiresAt: Date;
	resendAvailableAt: Date;
}

/**
 * An emailed code for this session: the first one, or a replacement after the cooldown. For
 * step-up in a verified session, and for a pending one whose account has other factors than
 * email (no code went out at the password step, so the first comes when email is chosen).
 */
export async function sendCode(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	sessionToken: string
): Promise<Resent> {
	// FACTOR_POLICY: no code is mailed to someone who may not use one.
	await assertMethodAllowed(deps, user, 'email');
	const hasCode = await resendAvailableAt(deps.db, sha256Hex(sessionToken), deps.policy.otp);
	if (hasCode !== null) return resendCode(deps, origin, user, sessionToken);
	const address = await deliveryAddress(deps, user.id);
	if (!address) throw new NoEmailError();
	const now = deps.clock.now();
	const sends = await countSend(deps, user.id, now);
	if (!sends.ok) throw TooManyRequestsError.after(sends.retryAfterMs);
	const issued = await createCode(
		deps.db,
		sha256Hex(sessionToken),
		user.id,
		deps.policy.otp,
		now
	).catch(async (error: unknown) => {
		// A concurrent request created the code a moment ago: that one is on its way.
		if (isUniqueViolation(error)) {
			await releaseCodeMail(deps.db, sends.hits);
			throw TooManyRequestsError.after(deps.policy.otp.resendCooldownMs);
		}
		// The session ended a moment ago (a pending one promoted by a concurrent verify, or signed
		// out): there is nothing to send a code for.
		if (isForeignKeyViolation(error)) {
			await releaseCodeMail(deps.db, sends.hits);
			throw new InvalidRequestError('This sign-in is over: sign in again');
		}
		throw error;
	});
	if (!(await deliverCode(deps, origin, user.id, address, issued.code, issued.expiresAt))) {
		throw new CodeDeliveryError();
	}
	return {
		codeExpiresAt: new Date(issued.expiresAt),
		resendAvailableAt: new Date(now + deps.policy.otp.resendCooldownMs)
	};
}

/** A new code for a pending session; the old one dies. The failure budget is untouched. */
export async function resendCode(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	sessionToken: string
): Promise<Resent> {
	const { db, policy } = deps;
	const address = await deliveryAddress(deps, user.id);
	if (!address) throw new NoEmailError();
	const now = deps.clock.now();
	const sessionHash = sha256Hex(sessionToken);
	// The hourly cap first, so a capped resend leaves the current code alive.
	const sends = await countSend(deps, user.id, now);
	if (!sends.ok) throw TooManyRequestsError.after(sends.retryAfterMs);
	const issued = await replaceCode(db, sessionHash, policy.otp, now);
	if (!issued) {
		await releaseCodeMail(db, sends.hits); // nothing was sent
		const availableAt = (await resendAvailableAt(db, sessionHash, policy.otp)) ?? now;
		throw TooManyRequestsError.after(availableAt - now);
	}
	if (!(await deliverCode(deps, origin, user.id, address, issued.code, issued.expiresAt))) {
		throw new CodeDeliveryError();
	}
	return {
		codeExpiresAt: new Date(issued.expiresAt),
		resendAvailableAt: new Date(now + policy.otp.resendCooldownMs)
	};
}
