// A user's second factors as an administrator sees and resets them: where codes go, the
// authenticator app, security keys, remembered devices and backup tokens, with dates and counts
// only (never a secret, a public key or a token hash). A reset removes the authenticator app and
// the security keys (or the kinds named), ends every remembered device, and is audited in its
// transaction and told to the owner by email afterwards. The procedure makes it a step-up change
// that no API token can make; resetting one's own factors is allowed on the same terms.
import { countBackupTokens } from '../auth/backup-tokens';
import { forgetRememberedDevices, summarizeRememberedDevices } from '../auth/remembered-devices';
import { deleteAllFactors, summarizeConfirmedFactor } from '../auth/totp';
import {
	deleteAllCredentials,
	listCredentials,
	type SecurityKeyInfo
} from '../auth/webauthn-credentials';
import { recordAudit } from '../db/audit-log';
import { decidingTransaction } from '../db/transaction';
import { NotFoundError } from '../errors';
import { factorsResetMessage } from '../mail';
import { RESETTABLE_FACTORS, type ResettableFactor } from '../../schemas/users';
import type { Actor } from './actor';
import type { ServiceDeps } from './deps';
import { queueNoticeToUser, requestOf } from './notices';
import { lockUser } from './users';

export interface UserFactors {
	email: {
		/** Where codes go now: the separate two-factor address, else the account email. */
		address: string | null;
		/** Codes go to a separate two-factor address rather than the account email. */
		separate: boolean;
		/** A code sent to that address has come back. */
		confirmed: boolean;
		/** A new two-factor address waiting for its code. */
		pendingAddress: string | null;
	};
	totp: {
		enabled: boolean;
		confirmedAt: Date | null;
		/** When its last accepted code's time step began (to within 30 seconds); null: never. */
		lastUsedAt: Date | null;
		/** False when its secret can no longer be read (AUTH_SECRET rotated): its codes fail. */
		usable: boolean;
	};
	securityKeys: SecurityKeyInfo[];
	rememberedDevices: { count: number; lastUsedAt: Date | null };
	backupTokens: { remaining: number };
	/** The method offered first at sign-in (`totp`, `webauthn`, `email`), or null for the default. */
	preferred: string | null;
}

const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/** Every second factor of the user, as dates and counts. */
export async function getUserFactors(deps: ServiceDeps, userId: string): Promise<UserFactors> {
	const { db } = deps;
	const now = deps.clock.now();
	const user = await db
		.selectFrom('users')
		.leftJoin('otp_email_changes', (join) =>
			join
				.onRef('otp_email_changes.user_id', '=', 'users.id')
				.on('otp_email_changes.expires_at', '>', now)
		)
		.select([
			'users.email',
			'users.otp_email',
			'users.otp_email_confirmed_at',
			'users.preferred_factor',
			'otp_email_changes.email as pending_email'
		])
		.where('users.id', '=', userId)
		.executeTakeFirst();
	if (!user) throw new NotFoundError('No such user');
	const [totp, securityKeys, devices, backupTokens] = await Promise.all([
		summarizeConfirmedFactor(db, userId),
		listCredentials(db, userId),
		summarizeRememberedDevices(db, userId, now),
		countBackupTokens(db, userId)
	]);
	return {
		email: {
			address: user.otp_email ?? user.email,
			separate: user.otp_email !== null,
			confirmed: user.otp_email_confirmed_at !== null,
			pendingAddress: user.pending_email
		},
		totp: {
			enabled: totp !== null,
			confirmedAt: date(totp?.confirmedAt ?? null),
			lastUsedAt: date(totp?.lastUsedAt ?? null),
			usable: totp?.usable ?? false
		},
		securityKeys,
		rememberedDevices: { count: devices.count, lastUsedAt: date(devices.lastUsedAt) },
		backupTokens: { remaining: backupTokens },
		preferred: user.preferred_factor
	};
}

/** What a reset removed: nothing at all means nothing was written and no mail went out. */
export interface FactorsReset {
	totp: boolean;
	securityKeys: number;
	devices: number;
}

/**
 * Removes the user's authenticator app and security keys (only the `kinds` named, if any) and
 * ends every remembered device, in one transaction with the `factors.reset` audit row; then mails
 * the owner. A user with none of them is left alone (no audit row, no mail). An unknown user is a
 * NotFoundError and changes nothing.
 */
export async function resetUserFactors(
	deps: ServiceDeps,
	actor: Actor,
	userId: string,
	kinds: readonly ResettableFactor[] = RESETTABLE_FACTORS
): Promise<FactorsReset> {
	const now = deps.clock.now();
	const reset = await decidingTransaction(deps.db, async (trx) => {
		// The owner's row first: a sign-in spending an authenticator step or a key's counter holds
		// it, so the reset waits for it, and a concurrent setup or key registration queues behind.
		await lockUser({ ...deps, db: trx }, userId);
		const totp = kinds.includes('totp') ? (await deleteAllFactors(trx, userId)) > 0 : false;
		const securityKeys = kinds.includes('webauthn') ? await deleteAllCredentials(trx, userId) : 0;
		// Every remembered device, whatever the kinds: each skipped a second step that has changed.
		const devices = await forgetRememberedDevices(trx, userId, now, {
			...actor,
			reason: 'factors reset by an administrator'
		});
		if (!totp && securityKeys === 0 && devices === 0) return null;
		// Offering a removed factor first would offer nothing: back to the default order.
		await trx
			.updateTable('users')
			.set({ preferred_factor: null })
			.where('id', '=', userId)
			.where('preferred_factor', 'in', [...kinds])
			.execute();
		const details = `kinds=${kinds.join(',')} totp=${totp ? 1 : 0} keys=${securityKeys} devices=${devices}`;
		await recordAudit(trx, { event: 'factors.reset', subjectId: userId, details, ...actor }, now);
		const removed = { totp, securityKeys, devices };
		await queueNoticeToUser(
			trx,
			deps,
			userId,
			factorsResetMessage({ removed, request: requestOf(actor, now) })
		);
		return removed;
	});
	return reset ?? { totp: false, securityKeys: 0, devices: 0 };
}
