// Security keys and passkeys as people manage them: register (a challenge, then the key's
// attestation), list, rename, remove. The procedures make every change a step-up one and refuse
// API tokens. Adding and removing mail the owner; every change is audited in its transaction.
import type {
	PublicKeyCredentialCreationOptionsJSON,
	RegistrationResponseJSON
} from '@simplewebauthn/server';
import type { z } from 'zod';
import type { registrationResponseSchema } from '../../schemas/webauthn';
import { getConfig } from '../config';
import { sha256Hex } from '../auth/crypto';
import type { RelyingParty } from '../auth/relying-party';
import type { SessionUser } from '../auth/types';
import { webauthnLibrary } from '../auth/webauthn-library';
import {
	consumeChallenge,
	dropChallenge,
	isLiveChallenge,
	storeChallenge
} from '../auth/webauthn-challenges';
import {
	countCredentials,
	credentialDescriptors,
	credentialExists,
	credentialName,
	deleteCredential,
	insertCredential,
	listCredentials,
	renameCredential,
	type SecurityKeyInfo
} from '../auth/webauthn-credentials';
import { recordAudit } from '../db/audit-log';
import { forgetRememberedDevices } from '../auth/remembered-devices';
import { isUniqueViolation } from '../db/errors';
import { decidingTransaction } from '../db/transaction';
import { securityKeyChangedMessage } from '../mail';
import { NotFoundError, SecurityKeyLimitError, SecurityKeyRegistrationError } from '../errors';
import type { Actor } from './actor';
import type { ServiceDeps } from './deps';
import { afterFactorAdded, policyBeforeEnrolment } from './factor-policy';
import { queueNoticeToUser, requestOf } from './notices';
import { lockUser } from './users';
import { challengeOf, userHandleFor } from './webauthn-responses';

export type { SecurityKeyInfo };
export type RegistrationResponse = z.output<typeof registrationResponseSchema>;

const PROMPT_TIMEOUT_MS = 60_000;

const STALE_REQUEST = 'This registration request expired or was already used: start again';

/** The user's security keys, oldest first (no key material). */
export function listSecurityKeys(deps: ServiceDeps, userId: string): Promise<SecurityKeyInfo[]> {
	return listCredentials(deps.db, userId);
}

/**
 * Options for `navigator.credentials.create()`: a new registration challenge for this session
 * (the previous one stops working). The user's keys are excluded, so one key is not added twice.
 */
export async function securityKeyRegistrationOptions(
	deps: ServiceDeps,
	rp: RelyingParty,
	user: SessionUser,
	sessionToken: string
): Promise<PublicKeyCredentialCreationOptionsJSON> {
	const { maxKeysPerUser, challengeTtlMs } = deps.policy.webauthn;
	if ((await countCredentials(deps.db, user.id)) >= maxKeysPerUser) {
		throw new SecurityKeyLimitError(maxKeysPerUser);
	}
	const { generateRegistrationOptions } = await webauthnLibrary();
	const options = await generateRegistrationOptions({
		rpName: getConfig().appName,
		rpID: rp.id,
		userName: user.username,
		userDisplayName: user.username,
		userID: userHandleFor(user.id),
		// Which make of key it is does not matter here: no attestation is asked for.
		attestationType: 'none',
		excludeCredentials: await credentialDescriptors(deps.db, user.id),
		authenticatorSelection: {
			// A second factor after the password: the key need not hold a discoverable credential
			// (and use up one of a hardware key's few slots); passkey providers make one anyway.
			residentKey: 'discouraged',
			userVerification: 'preferred'
		},
		timeout: PROMPT_TIMEOUT_MS
	});
	const now = deps.clock.now();
	const sessionHash = sha256Hex(sessionToken);
	await storeChallenge(
		deps.db,
		sessionHash,
		user.id,
		'register',
		options.challenge,
		challengeTtlMs,
		now
	);
	return options;
}

/**
 * Verifies the key's attestation against this session's registration challenge, the origin and
 * the RP ID, and stores the key. The challenge is spent by the same transaction that inserts the
 * key; a refused answer ends it too (start again).
 */
export async function registerSecurityKey(
	deps: ServiceDeps,
	actor: Actor,
	rp: RelyingParty,
	user: SessionUser,
	sessionToken: string,
	name: string,
	response: RegistrationResponse
): Promise<SecurityKeyInfo> {
	const now = deps.clock.now();
	const sessionHash = sha256Hex(sessionToken);
	const challenge = challengeOf(response.response.clientDataJSON);
	if (!challenge || !(await isLiveChallenge(deps.db, sessionHash, 'register', challenge, now))) {
		throw new SecurityKeyRegistrationError(STALE_REQUEST);
	}
	const refuse = async (message: string): Promise<never> => {
		await dropChallenge(deps.db, sessionHash, 'register');
		throw new SecurityKeyRegistrationError(message);
	};

	let info;
	try {
		const { verifyRegistrationResponse } = await webauthnLibrary();
		const verification = await verifyRegistrationResponse({
			response: { ...response, clientExtensionResults: {} } as RegistrationResponseJSON,
			expectedChallenge: challenge,
			expectedOrigin: rp.origin,
			expectedRPID: rp.id,
			expectedType: 'webauthn.create',
			requireUserVerification: false
		});
		if (!verification.verified) return refuse('The security key’s answer did not verify');
		info = verification.registrationInfo;
	} catch {
		return refuse('The security key’s answer did not verify (wrong site, or not a valid key)');
	}
	const { credential } = info;
	// Another account's key (or this one's, registered again): never two owners for one key.
	if (await credentialExists(deps.db, credential.id)) {
		return refuse('This security key is already registered');
	}

	const { maxKeysPerUser } = deps.policy.webauthn;
	const id = await decidingTransaction(deps.db, async (trx) => {
		// The owner's row first: concurrent registrations queue here, so the cap holds.
		await lockUser({ ...deps, db: trx }, user.id);
		if (!(await consumeChallenge(trx, sessionHash, 'register', challenge, now))) {
			throw new SecurityKeyRegistrationError(STALE_REQUEST);
		}
		if ((await countCredentials(trx, user.id)) >= maxKeysPerUser) {
			throw new SecurityKeyLimitError(maxKeysPerUser);
		}
		const policy = await policyBeforeEnrolment(deps, trx, user.id);
		const inserted = await insertCredential(
			trx,
			user.id,
			{
				name,
				credentialId: credential.id,
				publicKey: credential.publicKey,
				counter: credential.counter,
				transports: response.response.transports ?? [],
				backupEligible: info.credentialDeviceType === 'multiDevice',
				backedUp: info.credentialBackedUp,
				userVerified: info.userVerified
			},
			now
		).catch((error: unknown) => {
			if (isUniqueViolation(error)) {
				throw new SecurityKeyRegistrationError('This security key is already registered');
			}
			throw error;
		});
		await recordAudit(
			trx,
			{ event: 'webauthn.added', subjectId: user.id, details: name, ...actor },
			now
		);
		// The key just added is the way to offer first at the next sign-in (as a new authenticator).
		await trx
			.updateTable('users')
			.set({ preferred_factor: 'webauthn' })
			.where('id', '=', user.id)
			.execute();
		// FACTOR_POLICY: a required kind set up frees the person's sessions marked to set one up.
		await afterFactorAdded(trx, policy, 'webauthn', actor, user.id, now);
		await queueNoticeToUser(
			trx,
			deps,
			user.id,
			securityKeyChangedMessage({ change: 'added', name, request: requestOf(actor, now) })
		);
		return inserted;
	});
	const added = (await listCredentials(deps.db, user.id)).find((key) => key.id === id);
	if (!added) throw new NotFoundError('No such security key');
	return added;
}

/** Renames one of the user's keys. */
export async function renameSecurityKey(
	deps: ServiceDeps,
	actor: Actor,
	userId: string,
	id: string,
	name: string
): Promise<void> {
	const now = deps.clock.now();
	await decidingTransaction(deps.db, async (trx) => {
		const before = await credentialName(trx, userId, id);
		if (before === null || !(await renameCredential(trx, userId, id, name))) {
			throw new NotFoundError('No such security key');
		}
		if (before === name) return;
		await recordAudit(
			trx,
			{ event: 'webauthn.renamed', subjectId: userId, details: `${before} -> ${name}`, ...actor },
			now
		);
	});
}

/**
 * Removes one of the user's keys: it never signs in again. The DELETE, which must hit the row,
 * and the audit row are one transaction (the place to end remembered devices, too).
 */
export async function removeSecurityKey(
	deps: ServiceDeps,
	actor: Actor,
	userId: string,
	id: string
): Promise<void> {
	const now = deps.clock.now();
	await decidingTransaction(deps.db, async (trx) => {
		const removed = await credentialName(trx, userId, id);
		if (removed === null || !(await deleteCredential(trx, userId, id))) {
			throw new NotFoundError('No such security key');
		}
		await recordAudit(
			trx,
			{ event: 'webauthn.removed', subjectId: userId, details: removed, ...actor },
			now
		);
		// A browser remembered while the key existed skips a second step that has changed.
		await forgetRememberedDevices(trx, userId, now, { ...actor, reason: 'security key removed' });
		if ((await countCredentials(trx, userId)) === 0) {
			await trx
				.updateTable('users')
				.set({ preferred_factor: null })
				.where('id', '=', userId)
				.where('preferred_factor', '=', 'webauthn')
				.execute();
		}
		await queueNoticeToUser(
			trx,
			deps,
			userId,
			securityKeyChangedMessage({
				change: 'removed',
				name: removed,
				request: requestOf(actor, now)
			})
		);
	});
}

/** Whether the user has a security key (a sign-in method when they do). */
export async function hasSecurityKey(deps: ServiceDeps, userId: string): Promise<boolean> {
	return (await countCredentials(deps.db, userId)) > 0;
}
