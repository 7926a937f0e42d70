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
import { findUsableFactor } from '../auth/totp';
import { countCredentials } from '../auth/webauthn-credentials';
import type { SessionUser } from '../auth/types';
import { maskEmail } from '../mail';
import { recordAudit } from '../db/audit-log';
import { InvalidCredentialsError, ServerBusyError, TooManyRequestsError } from '../errors';
import type { Actor } from './actor';
import type { ServiceDeps } from './deps';
import { deliveryAddress, findUserForLogin } from './users';

import { countSend, deliverCode, type SignInOrigin } from './sign-in-codes';
import { signInWithDevice, type RememberedSignIn } from './remembered-devices';
import {
	allowsMethod,
	requirementOf,
	type FactorRequirement,
	type SecondFactorMethod
} from './factor-policy';
import { requiredKindsOf } from '../auth/factor-policy';
import { decidingTransaction } from '../db/transaction';

export type { SignInOrigin, SecondFactorMethod, FactorRequirement };

/** Without a preference, the strongest factor first; backup tokens are always the last resort. */
const DEFAULT_ORDER: readonly SecondFactorMethod[] = ['webauthn', 'totp', 'email'];

export interface PendingSignIn {
	session: NewSession;
	user: SessionUser;
	methods: SecondFactorMethod[];
	maskedEmail: string | null;
	/** FACTOR_POLICY: what the person's role requires, and whether they must still set it up. */
	factors: FactorRequirement;
	/** Null when no code was emailed: the account has another factor (a resend sends one). */
	codeExpiresAt: Date | null;
	resendAvailableAt: Date | null;
	/** False when no code went out: none was due, or the mail failed (SMTP down, hourly cap). */
	codeSent: boolean;
}

/** What the password step led to: a second step to take, or a remembered device that stood in. */
export type PasswordStep = ({ status: 'otp_required' } & PendingSignIn) | RememberedSignIn;

/**
 * Step one. Throws InvalidCredentialsError (same for every reason) or TooManyRequestsError.
 * `deviceCookie`: the remembered-device cookie the browser sent; when it is valid for this very
 * account, a verified session is created at once and no code is sent.
 */
export async function signInWithPassword(
	deps: ServiceDeps,
	origin: SignInOrigin,
	login: string,
	password: string,
	deviceCookie: string | null = null
): Promise<PasswordStep> {
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
	const secondStep = await describeSecondStep(deps, user, address);
	// A browser remembered before the person had a factor their role requires must not skip the
	// step after which they are asked to set one up.
	if (deviceCookie && !secondStep.factors.enrolmentRequired) {
		const remembered = await signInWithDevice(deps, origin, user, deviceCookie, now);
		if (remembered) return remembered;
	}
	// The code is emailed only when email is the one factor the account has; otherwise it waits
	// until the person chooses email (auth.resendOtp sends the first one then).
	const emailOnly = secondStep.methods.every((m) => m === 'email' || m === 'backup_token');

	const { session, code } = await decidingTransaction(db, async (trx) => {
		const created = await createSession(
			trx,
			policy.session,
			{ userId: user.id, state: 'pending_otp', ip: origin.ip, userAgent: origin.userAgent },
			now
		);
		const issued =
			address && emailOnly ? await createCode(trx, created.hash, user.id, policy.otp, now) : null;
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
		status: 'otp_required',
		session,
		user: { id: user.id, username: user.username, email: user.email, role: user.role },
		...secondStep,
		codeExpiresAt: code ? new Date(code.expiresAt) : null,
		resendAvailableAt: code ? new Date(now + policy.otp.resendCooldownMs) : null,
		codeSent
	};
}

/**
 * How a session can finish its second step (or a step-up): the account's methods, the one it
 * prefers first (the last one it signed in with), backup tokens last; and, masked, where the
 * emailed code goes. An authenticator whose secret cannot be read (AUTH_SECRET rotated) is not
 * offered: its codes could never match. Under FACTOR_POLICY, once the person holds a kind their
 * role requires, only those kinds (and backup tokens) are offered: no email, no address.
 */
export async function describeSecondStep(
	deps: ServiceDeps,
	user: Pick<SessionUser, 'id' | 'role'>,
	address?: string | null
): Promise<{
	methods: SecondFactorMethod[];
	maskedEmail: string | null;
	factors: FactorRequirement;
}> {
	const userId = user.id;
	const to = address === undefined ? await deliveryAddress(deps, userId) : address;
	const [tokens, totp, keys, preference] = await Promise.all([
		countBackupTokens(deps.db, userId),
		findUsableFactor(deps.db, userId),
		countCredentials(deps.db, userId),
		deps.db
			.selectFrom('users')
			.select('preferred_factor')
			.where('id', '=', userId)
			.executeTakeFirst()
	]);
	const held = new Set<SecondFactorMethod>([
		...(keys > 0 ? ['webauthn' as const] : []),
		...(totp ? ['totp' as const] : []),
		...(to ? ['email' as const] : [])
	]);
	const requirement = requirementOf(requiredKindsOf(deps.policy.factors, user.role), held);
	const offered = (m: SecondFactorMethod) => held.has(m) && allowsMethod(requirement, m);
	const preferred = DEFAULT_ORDER.find((m) => m === preference?.preferred_factor && offered(m));
	const factors = [
		...(preferred ? [preferred] : []),
		...DEFAULT_ORDER.filter((m) => m !== preferred && offered(m))
	];
	return {
		methods: [...factors, ...(tokens > 0 ? ['backup_token' as const] : [])],
		maskedEmail: to && offered('email') ? maskEmail(to) : null,
		factors: requirement
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
	await decidingTransaction(deps.db, async (trx) => {
		await invalidateSession(trx, sessionToken, deps.policy.session);
		await recordAudit(trx, { event: 'session.logout', subjectId: actor.actorId, ...actor });
	});
}
