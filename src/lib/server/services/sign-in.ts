// The two-step sign-in: password -> pending session + emailed code -> verified session.
// Business rules only; procedures map these typed errors to tRPC codes in one place.
import type { Kysely } from 'kysely';
import { normalizeName } from '../../schemas/auth';
import type { Database } from '../db/schema';
import { clearFailures, lockIfExhausted, reserveTry } from '../auth/account-throttle';
import { addressGroup } from '../auth/client-address';
import { releaseCodeMail, reserveCodeMail, type CodeMailAllowance } from '../auth/code-mail-limits';
import { sha256Hex } from '../auth/crypto';
import {
	checkCode,
	consumeCode,
	createCode,
	replaceCode,
	resendAvailableAt
} from '../auth/email-otp';
import { verifyPassword } from '../auth/password';
import { hitWithin, release, type Hit } from '../auth/rate-limit';
import {
	createSession,
	deletePendingSession,
	invalidateSession,
	markSessionVerified,
	type NewSession
} from '../auth/session';
import { countStaticTokens, normalizeStaticToken, redeemStaticToken } from '../auth/static-tokens';
import type { SessionUser } from '../auth/types';
import { accountLockedMessage, maskEmail, otpMessage, staticTokenUsedMessage } from '../mail';
import { isUniqueViolation } from '../db/errors';
import { recordAudit } from '../db/audit-log';
import { describeMailError, noticeToUser, requestOf } from './notices';
import {
	AccountLockedError,
	CodeDeliveryError,
	InvalidCredentialsError,
	NoEmailError,
	ServerBusyError,
	TooManyRequestsError,
	WrongCodeError
} from '../errors';
import type { Actor } from './actor';
import type { ServiceDeps } from './deps';
import { deliveryAddress, findUserForLogin } from './users';

/**
 * Where a sign-in step comes from. No person is signed in yet (`actorId` is null until the
 * session is verified), but the address and browser are written to the audit trail.
 */
export type SignInOrigin = Actor<string | null> & { ip: string };

export type SecondFactorMethod = 'email' | 'static_token';

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
	const tokens = await countStaticTokens(deps.db, userId);
	return {
		methods: [...(to ? ['email' as const] : []), ...(tokens > 0 ? ['static_token' as const] : [])],
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

/** Counts a send against the account's hourly cap (before sending, so races cannot pass it). */
function countSend(deps: ServiceDeps, userId: string, now: number): Promise<CodeMailAllowance> {
	return reserveCodeMail(deps.db, userId, deps.policy.otp, { now });
}

/** Emails a code; false (and audited) when it could not go out. */
async function deliverCode(
	deps: ServiceDeps,
	origin: SignInOrigin,
	userId: string,
	email: string,
	code: string,
	expiresAt: number
): Promise<boolean> {
	const request = requestOf(origin, deps.clock.now());
	try {
		await deps.mailer.send({
			to: email,
			...otpMessage({ code, expiresAt: new Date(expiresAt), request }),
			devNote: `code ${code}`
		});
	} catch (error) {
		deps.log.error(`[mail] sign-in code not sent: ${describeMailError(error)}`);
		await recordAudit(deps.db, {
			event: 'otp.send_failed',
			subjectId: userId,
			ip: origin.ip,
			userAgent: origin.userAgent
		});
		return false;
	}
	await recordAudit(deps.db, {
		event: 'otp.sent',
		subjectId: userId,
		ip: origin.ip,
		userAgent: origin.userAgent
	});
	return true;
}

export interface Resent {
	codeExpiresAt: Date;
	resendAvailableAt: Date;
}

/** A code for step-up in a verified session (the first one, or a replacement after the cooldown). */
export async function sendStepUpCode(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	sessionToken: string
): Promise<Resent> {
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

export interface Verified {
	session: NewSession;
	user: SessionUser;
}

/**
 * Step two: an emailed code or a backup token. On success the pending session is deleted and a
 * new verified one created, in one transaction with consuming the code or token.
 */
export async function verifySecondFactor(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	sessionToken: string,
	input: string
): Promise<Verified> {
	const session = await spendSecondFactor(
		deps,
		origin,
		user,
		sessionToken,
		input,
		{ kind: 'sign-in' },
		async (trx, now) => {
			// Someone else may have promoted this session in the meantime: exactly one wins.
			if (!(await deletePendingSession(trx, sessionToken))) return null;
			const { session: lifetimes } = deps.policy;
			return createSession(
				trx,
				lifetimes,
				{
					userId: user.id,
					state: 'verified',
					ip: origin.ip,
					userAgent: origin.userAgent,
					promotedFrom: sessionToken
				},
				now
			);
		}
	);
	return { session, user };
}

/**
 * Step-up: a fresh code (or backup token) in an already verified session, for sensitive
 * changes. Codes for it are sent with `sendStepUpCode` and bound to this session.
 */
export async function verifyStepUp(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	session: { token: string; verifiedAt: Date | null },
	input: string
): Promise<Date> {
	// A backup token minted after this session last proved itself may not refresh it: otherwise a
	// stolen session whose step-up has run out could mint tokens (or be handed some) and use them.
	const purpose = { kind: 'step-up', tokensMintedBy: session.verifiedAt?.getTime() ?? 0 } as const;
	return spendSecondFactor(deps, origin, user, session.token, input, purpose, async (trx, now) => {
		await markSessionVerified(trx, session.token, now);
		return new Date(now);
	});
}

/** What a second factor is spent on; step-up also limits which backup tokens count. */
type Purpose = { kind: 'sign-in' } | { kind: 'step-up'; tokensMintedBy: number };

/**
 * The second factor's core, shared by sign-in and step-up: reserve a try from the account's
 * budget, compare, then consume the code or token and run `onSuccess` in ONE transaction.
 * `onSuccess` returns null when it lost a race; the whole transaction then rolls back.
 */
async function spendSecondFactor<T>(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	sessionToken: string,
	input: string,
	purpose: Purpose,
	onSuccess: (trx: Kysely<Database>, now: number) => Promise<T | null>
): Promise<T> {
	const { db, policy } = deps;
	const now = deps.clock.now();
	const reservation = await reserveTry(db, user.id, policy.otp, now);
	if (!reservation.ok) {
		if (reservation.reason === 'locked') throw new AccountLockedError();
		throw TooManyRequestsError.after(reservation.retryAfterMs);
	}

	const sessionHash = sha256Hex(sessionToken);
	const staticToken = /^\d+$/.test(input) ? null : normalizeStaticToken(input);
	let consume: ((trx: Kysely<Database>) => Promise<boolean>) | null = null;
	if (staticToken) {
		const mintedBy = purpose.kind === 'step-up' ? purpose.tokensMintedBy : undefined;
		consume = (trx) => redeemStaticToken(trx, user.id, staticToken, mintedBy);
	} else if (/^\d+$/.test(input)) {
		const check = await checkCode(db, sessionHash, input, policy.otp, now);
		if (check.status === 'match') consume = (trx) => consumeCode(trx, sessionHash, check.codeHash);
	}

	const result = consume
		? await db
				.transaction()
				.execute(async (trx) => {
					// The account row first: it is what concurrent tries (reserveTry) and a password
					// change lock, so they queue behind this transaction. Locked later, after the
					// session INSERT's foreign key check took a shared lock on it, the upgrade would
					// deadlock against a waiting try on MySQL. A rollback undoes the clearing.
					await clearFailures(trx, user.id);
					// The consuming DELETE must hit exactly one row, or someone else won the race.
					if (!(await consume(trx))) throw new WrongCodeError();
					const outcome = await onSuccess(trx, now);
					if (outcome === null) throw new WrongCodeError();
					if (!staticToken) await markAddressProven(trx, user.id, now);
					await recordAudit(
						trx,
						{
							// Step-ups are recorded apart, so sign-in figures count sign-ins only.
							event:
								purpose.kind === 'step-up'
									? 'step_up.verified'
									: staticToken
										? 'static_token.used'
										: 'otp.verified',
							details: staticToken ? 'backup token' : null,
							actorId: user.id,
							subjectId: user.id,
							ip: origin.ip,
							userAgent: origin.userAgent
						},
						now
					);
					return { outcome };
				})
				.catch((error: unknown) => {
					if (error instanceof WrongCodeError) return null;
					throw error;
				})
		: null;

	if (!result) {
		await recordFailure(deps, origin, user, purpose.kind, now);
		throw new WrongCodeError();
	}
	if (staticToken) {
		const remaining = await countStaticTokens(db, user.id);
		const message = staticTokenUsedMessage({ request: requestOf(origin, now), remaining });
		await noticeToUser(deps, user.id, message);
	}
	return result.outcome;
}

async function recordFailure(
	deps: ServiceDeps,
	origin: SignInOrigin,
	user: SessionUser,
	purpose: 'sign-in' | 'step-up',
	now: number
): Promise<void> {
	const entry = { subjectId: user.id, ip: origin.ip, userAgent: origin.userAgent };
	const event = purpose === 'step-up' ? 'step_up.failed' : 'otp.failed';
	await recordAudit(deps.db, { event, ...entry }, now);
	const locked = await deps.db.transaction().execute(async (trx) => {
		if (!(await lockIfExhausted(trx, user.id, deps.policy.otp, now))) return false;
		await recordAudit(trx, { event: 'account.locked', ...entry }, now);
		return true;
	});
	if (locked) {
		await noticeToUser(deps, user.id, accountLockedMessage({ request: requestOf(origin, now) }));
	}
}

/** A code that came back proves the address it was sent to (django-otp's `confirmed`). */
async function markAddressProven(db: Kysely<Database>, userId: string, now: number): Promise<void> {
	await db
		.updateTable('users')
		.set({ otp_email_confirmed_at: now })
		.where('id', '=', userId)
		.where('otp_email_confirmed_at', 'is', null)
		.execute();
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
