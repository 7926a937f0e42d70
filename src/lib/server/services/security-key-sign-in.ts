// Security keys (WebAuthn) as the second factor: finishing a sign-in and stepping up. The browser
// asks for a challenge, the key signs it, and the answer is checked like a code: it spends a try
// of the account's budget first, then is verified (challenge of this session and purpose, a key of
// this user, origin and RP ID, signature, counter), then spent in the same transaction as the
// promotion or step-up (services/second-factor.ts).
import type {
	AuthenticationResponseJSON,
	PublicKeyCredentialRequestOptionsJSON
} from '@simplewebauthn/server';
import type { z } from 'zod';
import type { authenticationResponseSchema } from '../../schemas/webauthn';
import { sha256Hex } from '../auth/crypto';
import type { RelyingParty } from '../auth/relying-party';
import type { SessionUser } from '../auth/types';
import { webauthnLibrary } from '../auth/webauthn-library';
import {
	consumeChallenge,
	dropChallenge,
	isLiveChallenge,
	storeChallenge,
	type ChallengePurpose
} from '../auth/webauthn-challenges';
import {
	counterMovesOn,
	credentialDescriptors,
	findCredential,
	recordCredentialUse
} from '../auth/webauthn-credentials';
import { isForeignKeyViolation } from '../db/errors';
import {
	InvalidRequestError,
	NoSecurityKeyError,
	ResetLinkInvalidError,
	SecurityKeyRefusedError,
	type PublicError,
	type SecurityKeyRefusal
} from '../errors';
import type { ServiceDeps } from './deps';
import { assertMethodAllowed } from './factor-policy';
import {
	completeSignIn,
	completeStepUp,
	type CheckedFactor,
	type FactorCheck,
	type SecondFactorOptions,
	type Verified
} from './second-factor';
import type { SignInOrigin } from './sign-in-codes';
import { challengeOf, userHandleOf } from './webauthn-responses';

export type AuthenticationResponse = z.output<typeof authenticationResponseSchema>;

/** How long the browser shows its prompt; the challenge lives longer (policy.webauthn). */
const PROMPT_TIMEOUT_MS = 60_000;

/**
 * Options for `navigator.credentials.get()`: a new challenge for this session and purpose (the
 * previous one stops working) and the user's keys. No key: NoSecurityKeyError.
 */
export async function securityKeyChallenge(
	deps: ServiceDeps,
	rp: RelyingParty,
	user: SessionUser,
	sessionToken: string,
	purpose: Exclude<ChallengePurpose, 'register'>
): Promise<PublicKeyCredentialRequestOptionsJSON> {
	await assertMethodAllowed(deps, user, 'webauthn');
	const keys = await credentialDescriptors(deps.db, user.id);
	if (keys.length === 0) throw new NoSecurityKeyError();
	const { generateAuthenticationOptions } = await webauthnLibrary();
	const options = await generateAuthenticationOptions({
		rpID: rp.id,
		allowCredentials: keys,
		// The password came first: the key is the second factor, its presence is what counts.
		// A key that verifies its user as well (PIN, biometrics) says so, and that is stored.
		userVerification: 'preferred',
		timeout: PROMPT_TIMEOUT_MS
	});
	const now = deps.clock.now();
	const ttl = deps.policy.webauthn.challengeTtlMs;
	await storeChallenge(
		deps.db,
		sha256Hex(sessionToken),
		user.id,
		purpose,
		options.challenge,
		ttl,
		now
	).catch((error: unknown) => {
		// The session ended a moment ago (promoted by a concurrent answer, signed out, or its
		// tries used up): there is nothing to bind a challenge to.
		if (isForeignKeyViolation(error)) throw sessionOverError(purpose);
		throw error;
	});
	return options;
}

/** What to say when the session a challenge was asked for has ended. */
function sessionOverError(purpose: Exclude<ChallengePurpose, 'register'>): PublicError {
	switch (purpose) {
		case 'sign-in':
			return new InvalidRequestError('This sign-in is over: sign in again');
		case 'step-up':
			return new InvalidRequestError('This session has ended: sign in again');
		case 'reset':
			return new ResetLinkInvalidError();
	}
}

/** Finishes a pending sign-in with a security key: a new verified session, the pending one gone. */
export async function signInWithSecurityKey(
	deps: ServiceDeps,
	origin: SignInOrigin,
	rp: RelyingParty,
	user: SessionUser,
	sessionToken: string,
	response: AuthenticationResponse,
	options: SecondFactorOptions = {}
): Promise<Verified> {
	await assertMethodAllowed(deps, user, 'webauthn');
	const check = checkAssertion(deps, rp, user, sessionToken, 'sign-in', response);
	return completeSignIn(deps, origin, user, sessionToken, check, options);
}

/** Refreshes a verified session's step-up with a security key. */
export async function stepUpWithSecurityKey(
	deps: ServiceDeps,
	origin: SignInOrigin,
	rp: RelyingParty,
	user: SessionUser,
	sessionToken: string,
	response: AuthenticationResponse
): Promise<Date> {
	await assertMethodAllowed(deps, user, 'webauthn');
	const check = checkAssertion(deps, rp, user, sessionToken, 'step-up', response);
	return completeStepUp(deps, origin, user, sessionToken, check);
}

/**
 * A security key's answer to a password reset's challenge (issued with `securityKeyChallenge` for
 * the reset's step, auth/reset-step.ts), checked as a sign-in's is: services/password-reset.ts.
 */
export function resetAssertionCheck(
	deps: ServiceDeps,
	rp: RelyingParty,
	user: SessionUser,
	stepToken: string,
	response: AuthenticationResponse
): FactorCheck {
	return checkAssertion(deps, rp, user, stepToken, 'reset', response);
}

/**
 * Checks an assertion once its tries are reserved (the account's and the session's). Every refusal
 * also ends the session's challenge for this purpose: one answer per challenge, right or wrong.
 */
function checkAssertion(
	deps: ServiceDeps,
	rp: RelyingParty,
	user: SessionUser,
	sessionToken: string,
	purpose: Exclude<ChallengePurpose, 'register'>,
	response: AuthenticationResponse
): FactorCheck {
	const { db } = deps;
	const sessionHash = sha256Hex(sessionToken);
	const refuse = async (reason: SecurityKeyRefusal): Promise<CheckedFactor> => {
		await dropChallenge(db, sessionHash, purpose);
		return { consume: null, refusal: new SecurityKeyRefusedError(reason) };
	};

	const check = async (now: number): Promise<CheckedFactor> => {
		// The challenge is read from what the browser signed: it must be this session's live one.
		const challenge = challengeOf(response.response.clientDataJSON);
		if (!challenge || !(await isLiveChallenge(db, sessionHash, purpose, challenge, now))) {
			return refuse('challenge');
		}
		// Only the user's own keys are looked up: another user's key is as unknown as a made-up one.
		const credential = await findCredential(db, user.id, response.id);
		const handle = userHandleOf(response.response.userHandle);
		if (!credential || (handle !== null && handle !== user.id)) return refuse('credential');

		let info;
		try {
			const { verifyAuthenticationResponse } = await webauthnLibrary();
			const verification = await verifyAuthenticationResponse({
				response: { ...response, clientExtensionResults: {} } as AuthenticationResponseJSON,
				expectedChallenge: challenge,
				expectedOrigin: rp.origin,
				expectedRPID: rp.id,
				expectedType: 'webauthn.get',
				credential: {
					id: credential.credentialId,
					publicKey: credential.publicKey,
					// The counter is checked below, where its refusal can say so.
					counter: 0,
					transports: credential.transports
				},
				requireUserVerification: false
			});
			if (!verification.verified) return refuse('assertion');
			info = verification.authenticationInfo;
		} catch {
			// Wrong origin or RP ID, bad signature, user not present, malformed data.
			return refuse('assertion');
		}
		if (!counterMovesOn(credential.counter, info.newCounter)) return refuse('counter');
		// Backup eligibility is fixed for a credential's life (WebAuthn §7.2): a change is not it.
		if ((info.credentialDeviceType === 'multiDevice') !== credential.backupEligible) {
			return refuse('assertion');
		}

		return {
			consume: async (trx, at) => {
				// Two answers to one challenge (a replay racing the original): one DELETE wins.
				if (!(await consumeChallenge(trx, sessionHash, purpose, challenge, at))) {
					throw new SecurityKeyRefusedError('challenge');
				}
				const use = {
					counter: info.newCounter,
					backedUp: info.credentialBackedUp,
					userVerified: info.userVerified
				};
				if (!(await recordCredentialUse(trx, credential, use, at))) {
					throw new SecurityKeyRefusedError('counter');
				}
				return true;
			}
		};
	};
	return { method: 'webauthn', check };
}
