// Every security limit in one place. The environment sets the common ones (README, config.ts);
// the rest are constants chosen from NIST SP 800-63B and django-otp's defaults. The few that the
// browser also states (password length, backup-token counts) come from $lib/policy-rules.
import { BACKUP_TOKEN_RULES, PASSWORD_RULES } from '../../policy-rules';
import { getConfig, type FactorPolicy } from '../config';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface AuthPolicy {
	password: { minLength: number; maxLength: number };
	session: {
		/** A pending session dies this long after creation, whatever the sliding renewal does. */
		pendingLifetimeMs: number;
		/** Verified sessions: idle timeout (sliding) and absolute lifetime. */
		idleTimeoutMs: number;
		maxLifetimeMs: number;
	};
	otp: {
		length: number;
		ttlMs: number;
		/** Wrong tries that burn one code. */
		maxAttemptsPerCode: number;
		resendCooldownMs: number;
		/** Code mails per account and hour, whatever they are for (sign-in, step-up, new address). */
		maxSendsPerHour: number;
		/** Of those, codes to an address that is not confirmed yet (a new two-factor address). */
		maxNewAddressMailsPerHour: number;
		/** Consecutive account failures before each further try waits (django-otp's throttle). */
		backoffAfterFailures: number;
		maxBackoffMs: number;
		/** Consecutive account failures that lock the account until an admin unlocks it. */
		lockAfterFailures: number;
	};
	/** See BACKUP_TOKEN_RULES; minting is also limited per account and hour. */
	backupTokens: { defaultCount: number; maxCount: number; mintsPerHour: number };
	/** Tokens a person may hold (live and expired until revoked), and create per hour. */
	apiTokens: { maxPerUser: number; createsPerHour: number };
	login: {
		windowMs: number;
		perUsernameAndAddress: number;
		perAddress: number;
		accountWindowMs: number;
		perAccount: number;
	};
	setupTokenTtlMs: number;
	/**
	 * "Forgot password": how long a mailed link lives, the limits on asking for one (per client
	 * network, per account and network, per account; each window `windowMs`), and the least time
	 * every answer takes, so the answer's timing says nothing about the account.
	 */
	passwordReset: {
		linkTtlMs: number;
		windowMs: number;
		perAddress: number;
		perAccountAndAddress: number;
		perAccount: number;
		answerFloorMs: number;
	};
	/**
	 * Where mailed links point (auth/link-origin.ts): ORIGIN; unset, the request's origin, but only
	 * outside production (a forged Host header must never put its own site into a mailed link).
	 */
	mailedLinks: { origin: string | null; requestOriginAllowed: boolean };
	/**
	 * A new account email: the link that proves it (sent to the new address), the "this wasn't me"
	 * link sent to the old one, and how many changes one account may ask for (mails to addresses
	 * that have proven nothing yet) per hour.
	 */
	emailChange: { linkTtlMs: number; reportTtlMs: number; requestsPerHour: number };
	/**
	 * Invitation links: how long one lives, and how often one may be mailed to a person and to an
	 * address (the first and every resend count): at most one per interval and `perDay` a day.
	 */
	invitations: { ttlMs: number; mailIntervalMs: number; mailsPerDay: number };
	/** First-run setup attempts per client address and window (each may run argon2). */
	setup: { attemptsPerAddress: number; windowMs: number };
	/** How recent a verified code must be for sensitive changes. */
	stepUpWindowMs: number;
	/**
	 * How long "remember this device" skips the second step at sign-in (never the password, never
	 * step-up); 0: the option is off and device cookies are ignored.
	 */
	rememberDeviceMs: number;
	/** How long a new authenticator may wait for its first good code before setup starts over. */
	totp: { enrolmentTtlMs: number };
	webauthn: {
		/**
		 * ORIGIN: the relying party's origin (and, its host, the RP ID). Null when it is unset: the
		 * origin is then the request's, as adapter-node derives it (auth/relying-party.ts).
		 */
		origin: string | null;
		/** How long a challenge may be answered; single-use within it. */
		challengeTtlMs: number;
		/** Security keys one person may register. */
		maxKeysPerUser: number;
	};
	/**
	 * FACTOR_POLICY: the roles that must have an authenticator app or a security key (one of the
	 * kinds listed), and once they have one, sign in and step up only with those (or a backup
	 * token). Read at each sign-in: a change takes effect at the person's next one.
	 */
	factors: FactorPolicy;
}

export function getPolicy(): AuthPolicy {
	const config = getConfig();
	return {
		password: { minLength: PASSWORD_RULES.minLength, maxLength: PASSWORD_RULES.maxLength },
		session: {
			pendingLifetimeMs: 10 * MINUTE,
			idleTimeoutMs: config.session.idleTimeoutHours * HOUR,
			maxLifetimeMs: config.session.maxAgeDays * 24 * HOUR
		},
		otp: {
			length: config.otp.length,
			ttlMs: config.otp.ttlSeconds * 1000,
			maxAttemptsPerCode: 5,
			resendCooldownMs: config.otp.resendCooldownSeconds * 1000,
			maxSendsPerHour: 5,
			maxNewAddressMailsPerHour: 3,
			backoffAfterFailures: 5,
			maxBackoffMs: 15 * MINUTE,
			lockAfterFailures: 100
		},
		backupTokens: {
			defaultCount: BACKUP_TOKEN_RULES.defaultCount,
			maxCount: BACKUP_TOKEN_RULES.maxCount,
			mintsPerHour: 5
		},
		apiTokens: { maxPerUser: 50, createsPerHour: 10 },
		login: {
			windowMs: 15 * MINUTE,
			perUsernameAndAddress: 5,
			perAddress: 20,
			accountWindowMs: HOUR,
			perAccount: 100
		},
		setupTokenTtlMs: HOUR,
		passwordReset: {
			linkTtlMs: 30 * MINUTE,
			windowMs: HOUR,
			perAddress: 20,
			perAccountAndAddress: 3,
			perAccount: 10,
			answerFloorMs: 250
		},
		mailedLinks: {
			origin: config.origin ?? null,
			requestOriginAllowed: config.env !== 'production'
		},
		// A day: enough to reach a new mailbox (a colleague's first day, an admin's change made in
		// the evening) while a forgotten link does not stay a key for long; asking again is cheap.
		// The report link only takes access away, so it lives a week: owners read mail late.
		emailChange: { linkTtlMs: 24 * HOUR, reportTtlMs: 7 * 24 * HOUR, requestsPerHour: 5 },
		invitations: { ttlMs: 72 * HOUR, mailIntervalMs: MINUTE, mailsPerDay: 10 },
		setup: { attemptsPerAddress: 10, windowMs: 15 * MINUTE },
		stepUpWindowMs: 10 * MINUTE,
		rememberDeviceMs: config.rememberDeviceDays * 24 * HOUR,
		totp: { enrolmentTtlMs: 15 * MINUTE },
		// Five minutes: as long as a code lives by default, and well over the browser's own
		// 60 s timeout for a key prompt.
		webauthn: { origin: config.origin ?? null, challengeTtlMs: 5 * MINUTE, maxKeysPerUser: 10 },
		factors: config.factorPolicy
	};
}

/** Wait imposed after `failures` consecutive failures: 1 s, 2 s, 4 s, ... capped. */
export function backoffMs(failures: number, policy: AuthPolicy['otp']): number {
	if (failures < policy.backoffAfterFailures) return 0;
	const exponent = failures - policy.backoffAfterFailures;
	return Math.min(1000 * 2 ** exponent, policy.maxBackoffMs);
}
