// The two-step sign-in: password -> pending session + emailed code -> verified session.
// Business rules only; procedures map these typed errors to tRPC codes in one place.
import type { Kysely } from 'kysely';
import { normalizeName } from '../../schemas/auth';
import type { Database } from '../db/schema';
import { addressGroup } from '../auth/client-address';
import { sha256Hex } from '../auth/crypto';
import { createCode } from '../auth/email-otp';
import { verifyPassword } from '../auth/password';
import { hitWithin, release, type Hit } from '../auth/rate-limit';
import { createSession, invalidateSession, type NewSession } from '../auth/session';
import { countBackupTokens } from '../auth/backup-tokens';
import { countCredentials } from '../auth/webauthn-credentials';
import type { SessionUser } from '../auth/types';
import { maskEmail } from '../mail';
import { recordAudit } from '../db/audit-log';
import { InvalidCredentialsError, ServerBusyError, TooManyRequestsError } from '../errors';
import type { Actor } from './actor';
import type { ServiceDeps } from './deps';
import { deliveryAddress, findUserForLogin } from './users';

import { countSend, deliverCode, type SignInOrigin } from './sign-in-codes';

export type { SignInOrigin };

export type SecondFactorMethod = 'email' | 'backup_token' | 'webauthn';

export interface PendingSignIn {
	session: NewSession;
	user: SessionUser;
	methods: SecondFactorMethod[];
	maskedEmail: string | null;
	codeExpiresAt: Date | null;
	resendAvailableAt: Date | null;
	/** False when the code could not be emailed (SMTP down, hourly cap); a resend may follow. */
	codeSent: boolean;
}

/** Step one. Throws InvalidCredentialsError (same for every reason) or TooManyRequestsError. */
export async function signInWithPassword(
	deps: ServiceDeps,
	origin: SignInOrigin,
	login: string,
	password: string
): Promise<PendingSignIn> {
	const { db, policy } = deps;
	const now = deps.clock.now();
	// Counted before the password is checked, so a limited login never reveals whether it was
	// right, and concurrent tries cannot all slip under a limit. The broadest limit first: a try
	// it refuses touches no other bucket, so an address over its limit adds no rows and counts
	// against no account; a try a later limit refuses gives back what the earlier ones took.
	const limits = policy.login;
	const network = addressGroup(origin.ip);
	const hits: Hit[] = [];
	await countTry(db, hits, `pw:addr:${network}`, limits.windowMs, limits.perAddress, now);
	const user = await findUserForLogin(deps, login);
	// One account, one bucket, whichever of its names was typed; an unknown name gets a bucket of
	// its own, with the same limits, so unknown and existing names answer alike.
	const account = user ? `user:${user.id}` : `name:${normalizeName(login)}`;
	const byName = `pw:name+addr:${sha256Hex(`${account}\0${network}`)}`;
	await countTry(db, hits, byName, limits.windowMs, limits.perUsernameAndAddress, now);
	const byAccount = `pw:account:${sha256Hex(account)}`;
	await countTry(db, hits, byAccount, limits.accountWindowMs, limits.perAccount, now);

	const passwordOk = await verifyPassword(user?.password_hash ?? null, password).catch(
		async (error: unknown) => {
			// Busy: no password was checked, so no try is spent (nor audited as a failure).
			if (error instanceof ServerBusyError) await releaseAll(db, hits);
			throw error;
		}
	);
	if (!user || !passwordOk || user.is_active !== 1 || user.locked_at !== null) {
		await recordAudit(db, {
			event: 'login.failed',
			subjectId: user?.id ?? null,
			ip: origin.ip,
			userAgent: origin.userAgent
		});
		throw new InvalidCredentialsError();
	}
	// Only failures count against the password limits.
	await releaseAll(db, hits);
	const address = user.otp_email ?? user.email;

	const { session, code } = await db.transaction().execute(async (trx) => {
		const created = await createSession(
			trx,
			policy.session,
			{ userId: user.id, state: 'pending_otp', ip: origin.ip, userAgent: origin.userAgent },
			now
		);
		const issued = address ? await createCode(trx, created.hash, user.id, policy.otp, now) : null;
		await recordAudit(
			trx,
			{ event: 'login.succeeded', subjectId: user.id, ip: origin.ip, userAgent: origin.userAgent },
			now
		);
		return { session: created, code: issued };
	});

	const codeSent =
		code !== null &&
		(await countSend(deps, user.id, now)).ok &&
		(await deliverCode(deps, origin, user.id, address!, code.code, code.expiresAt));
	return {
		session,
		user: { id: user.id, username: user.username, email: user.email, role: user.role },
		...(await describeSecondStep(deps, user.id, address)),
		codeExpiresAt: code ? new Date(code.expiresAt) : null,
		resendAvailableAt: code ? new Date(now + policy.otp.resendCooldownMs) : null,
		codeSent
	};
}

/** How a pending session can finish: its methods and, masked, where the code goes. */
export async function describeSecondStep(
	deps: ServiceDeps,
	userId: string,
	address?: string | null
): Promise<{ methods: SecondFactorMethod[]; maskedEmail: string | null }> {
	const to = address === undefined ? await deliveryAddress(deps, userId) : address;
	const tokens = await countBackupTokens(deps.db, userId);
	const keys = await countCredentials(deps.db, userId);
	return {
		methods: [
			...(to ? ['email' as const] : []),
			...(tokens > 0 ? ['backup_token' as const] : []),
			...(keys > 0 ? ['webauthn' as const] : [])
		],
		maskedEmail: to ? maskEmail(to) : null
	};
}

/**
 * Counts this try in one more bucket, after the broader ones it passed (`hits`, which it joins).
 * Over the limit, the try is refused: it counts in this bucket at most, the others get their hit
 * back, and no later bucket is touched.
 */
async function countTry(
	db: Kysely<Database>,
	hits: Hit[],
	bucket: string,
	windowMs: number,
	max: number,
	now: number
): Promise<void> {
	const limited = await hitWithin(db, bucket, windowMs, max, now);
	if (!limited.ok) {
		await releaseAll(db, hits);
		throw TooManyRequestsError.after(limited.retryAfterMs);
	}
	hits.push(limited.counted);
}

async function releaseAll(db: Kysely<Database>, hits: Hit[]): Promise<void> {
	await Promise.all(hits.map((counted) => release(db, counted)));
}

/**
 * Ends the caller's session (pending or verified). One transaction: the audit row exists exactly
 * when the session is gone.
 */
export async function signOut(
	deps: ServiceDeps,
	actor: Actor,
	sessionToken: string
): Promise<void> {
	await deps.db.transaction().execute(async (trx) => {
		await invalidateSession(trx, sessionToken, deps.policy.session);
		await recordAudit(trx, { event: 'session.logout', subjectId: actor.actorId, ...actor });
	});
}
