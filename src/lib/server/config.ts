// Reads process.env once, validates it, and fails with one clear line per problem.
// Scripts import this too, so it must never import `$env/*` or `$app/*`.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ROLES, type Role } from '../permissions';

const DEV_SECRET_FILE = 'data/auth-secret';

const booleanFlag = z
	.enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
	.transform((value) => value === 'true' || value === '1');

const seconds = (fallback: number, max: number) =>
	z.coerce
		.number({ error: 'expected a whole number of seconds' })
		.int({ error: 'expected a whole number of seconds' })
		.min(1, { error: 'expected at least 1 second' })
		.max(max, { error: `expected at most ${max} seconds` })
		.default(fallback);

const wholeNumber = (fallback: number, min: number, max: number) =>
	z.coerce
		.number({ error: `expected a whole number from ${min} to ${max}` })
		.int({ error: `expected a whole number from ${min} to ${max}` })
		.min(min, { error: `expected a whole number from ${min} to ${max}` })
		.max(max, { error: `expected a whole number from ${min} to ${max}` })
		.default(fallback);

const noLineBreaks = (value: string) => !/[\r\n]/.test(value);
// eslint-disable-next-line no-control-regex
const noControlCharacters = (value: string) => !/[\u0000-\u001f\u007f-\u009f]/.test(value);

const APP_NAME_MAX_LENGTH = 60;

/** The second factors a role can be made to use, beyond email codes (FACTOR_POLICY). */
export const FACTOR_KINDS = ['webauthn', 'totp'] as const;
export type FactorKind = (typeof FACTOR_KINDS)[number];

/**
 * Per role, the factor kinds its people must have one of and, once they have one, may sign in
 * and step up with (besides backup tokens). A role not named may use any factor and need none.
 */
export type FactorPolicy = Partial<Record<Role, readonly FactorKind[]>>;

const FACTOR_POLICY_SHAPE =
	'expected role: kinds, e.g. "admin: webauthn totp" (roles separated by ;)';

/**
 * `admin: webauthn totp; member: totp`: one line, so "admins must use a security key" is
 * `admin: webauthn`. Kinds are separated by spaces or commas; roles by semicolons.
 */
export function parseFactorPolicy(text: string): { policy: FactorPolicy } | { problem: string } {
	const policy: FactorPolicy = {};
	for (const entry of text.split(';').map((part) => part.trim())) {
		if (entry === '') continue;
		const match = /^([^:\s]+)\s*:\s*(.*)$/.exec(entry);
		if (!match) return { problem: FACTOR_POLICY_SHAPE };
		const [, role, list] = match as unknown as [string, string, string];
		if (!ROLES.includes(role as Role)) {
			return { problem: `unknown role "${role}" (roles: ${ROLES.join(', ')})` };
		}
		if (Object.hasOwn(policy, role)) return { problem: `role "${role}" is named twice` };
		const kinds = list.split(/[\s,]+/).filter(Boolean);
		if (kinds.length === 0) {
			return { problem: `no factor kinds for "${role}" (kinds: ${FACTOR_KINDS.join(', ')})` };
		}
		for (const kind of kinds) {
			if (!FACTOR_KINDS.includes(kind as FactorKind)) {
				return { problem: `unknown factor kind "${kind}" (kinds: ${FACTOR_KINDS.join(', ')})` };
			}
		}
		// In the order written, once each.
		policy[role as Role] = [...new Set(kinds as FactorKind[])];
	}
	return { policy };
}

const envSchema = z.object({
	NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
	DATABASE_URL: z
		.string()
		.default('file:./data/app.db')
		.refine((value) => /^file:.+/.test(value) || /^mysql:\/\/.+/.test(value), {
			error: 'expected file:<path> (SQLite) or mysql://user:pass@host:port/db'
		})
		.refine((value) => !value.startsWith('mysql://') || URL.canParse(value), {
			error: 'expected a valid mysql:// URL (percent-encode special characters)'
		}),
	MIGRATE_ON_START: booleanFlag.default(false),
	// Shown in every page title and the header, and in every email (subject, body, sender name).
	APP_NAME: z
		.string()
		.refine(noControlCharacters, { error: 'must not contain line breaks or control characters' })
		.trim()
		.min(1, { error: 'must not be blank' })
		.max(APP_NAME_MAX_LENGTH, { error: `expected at most ${APP_NAME_MAX_LENGTH} characters` })
		.default('Admin'),
	SMTP_URL: z
		.string()
		.refine((value) => /^smtps?:\/\//.test(value) && URL.canParse(value), {
			error: 'expected smtp://user:pass@host:port or smtps://...'
		})
		.optional(),
	MAIL_TRANSPORT: z.enum(['smtp', 'outbox'], { error: 'expected smtp or outbox' }).optional(),
	MAIL_FROM: z
		.string()
		.min(3)
		.refine(noLineBreaks, { error: 'must not contain line breaks' })
		// Unset: APP_NAME <admin@localhost> (see loadConfig), so the sender carries the app's name.
		.optional(),
	AUTH_SECRET: z
		.string()
		.refine((value) => Buffer.byteLength(value) >= 32, { error: 'expected at least 32 bytes' })
		.optional(),
	ORIGIN: z
		.string()
		.refine((value) => URL.canParse(value) && new URL(value).origin === value, {
			error: 'expected an origin such as https://admin.example.com (no path, no trailing slash)'
		})
		.optional(),
	OTP_TTL_SECONDS: seconds(300, 600),
	OTP_RESEND_COOLDOWN_SECONDS: seconds(60, 3600),
	OTP_LENGTH: wholeNumber(6, 6, 10),
	SESSION_IDLE_TIMEOUT_HOURS: wholeNumber(12, 1, 24 * 30),
	SESSION_MAX_AGE_DAYS: wholeNumber(7, 1, 90),
	// 0 turns "remember this device" off: no checkbox, and device cookies already given are ignored.
	REMEMBER_DEVICE_DAYS: wholeNumber(30, 0, 365),
	// Empty: email codes stay enough for everyone.
	FACTOR_POLICY: z
		.string()
		.default('')
		.transform((text, context) => {
			const parsed = parseFactorPolicy(text);
			if ('policy' in parsed) return parsed.policy;
			context.addIssue({ code: 'custom', message: parsed.problem });
			return z.NEVER;
		})
});

type Env = Record<string, string | undefined>;

// Checked on the raw values, so they are reported together with any other problem.
function productionProblems(env: Env): string[] {
	if (env.NODE_ENV !== 'production') return [];
	const problems: string[] = [];
	if (!env.SMTP_URL && env.MAIL_TRANSPORT !== 'outbox') {
		problems.push('SMTP_URL: required when NODE_ENV=production (or set MAIL_TRANSPORT=outbox)');
	}
	if (!env.AUTH_SECRET) {
		problems.push(
			'AUTH_SECRET: required when NODE_ENV=production (at least 32 bytes, e.g. openssl rand -base64 48)'
		);
	}
	return problems;
}

export type DatabaseDialect = 'sqlite' | 'mysql';

export interface Config {
	env: 'development' | 'production' | 'test';
	databaseUrl: string;
	databaseDialect: DatabaseDialect;
	migrateOnStart: boolean;
	/** The product's name, wherever the app names itself (titles, header, mail). */
	appName: string;
	mail: { transport: 'smtp' | 'outbox'; smtpUrl: string | undefined; from: string };
	authSecret: string;
	origin: string | undefined;
	otp: { ttlSeconds: number; resendCooldownSeconds: number; length: number };
	session: { idleTimeoutHours: number; maxAgeDays: number };
	/** How long a remembered device skips the second step; 0: never. */
	rememberDeviceDays: number;
	/** Which roles must use an authenticator app or a security key (FACTOR_POLICY). */
	factorPolicy: FactorPolicy;
}

export class ConfigError extends Error {
	constructor(readonly problems: string[]) {
		super(`Invalid configuration:\n${problems.map((line) => `  ${line}`).join('\n')}`);
		this.name = 'ConfigError';
	}
}

/** Validates an environment; pure apart from creating the dev secret file on first use. */
export function loadConfig(env: Env): Config {
	// An empty variable (`FOO=` in a .env file) means "not set", as in most tools.
	const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
	const parsed = envSchema.safeParse(present);
	const problems = [
		...(parsed.error?.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`) ?? []),
		...productionProblems(present)
	];
	if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
	const values = parsed.data;
	return {
		env: values.NODE_ENV,
		databaseUrl: values.DATABASE_URL,
		databaseDialect: values.DATABASE_URL.startsWith('mysql://') ? 'mysql' : 'sqlite',
		migrateOnStart: values.MIGRATE_ON_START,
		appName: values.APP_NAME,
		mail: {
			transport: values.MAIL_TRANSPORT ?? (values.SMTP_URL ? 'smtp' : 'outbox'),
			smtpUrl: values.SMTP_URL,
			from: values.MAIL_FROM ?? `${displayName(values.APP_NAME)} <admin@localhost>`
		},
		authSecret: values.AUTH_SECRET ?? readOrCreateDevSecret(),
		origin: values.ORIGIN,
		otp: {
			ttlSeconds: values.OTP_TTL_SECONDS,
			resendCooldownSeconds: values.OTP_RESEND_COOLDOWN_SECONDS,
			length: values.OTP_LENGTH
		},
		session: {
			idleTimeoutHours: values.SESSION_IDLE_TIMEOUT_HOURS,
			maxAgeDays: values.SESSION_MAX_AGE_DAYS
		},
		rememberDeviceDays: values.REMEMBER_DEVICE_DAYS,
		factorPolicy: values.FACTOR_POLICY
	};
}

/**
 * A name as the display name of an address (RFC 5322): as is when it is plain words, else quoted,
 * so `Acme, Inc.` stays one sender and does not read as two addresses.
 */
function displayName(name: string): string {
	if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(name)) return name;
	return `"${name.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

// Outside production a missing AUTH_SECRET is generated once and kept, so codes and tokens
// survive restarts of the dev server without anyone having to invent a secret.
function readOrCreateDevSecret(): string {
	if (existsSync(DEV_SECRET_FILE)) return readFileSync(DEV_SECRET_FILE, 'utf8').trim();
	const secret = randomBytes(48).toString('base64url');
	mkdirSync(dirname(DEV_SECRET_FILE), { recursive: true });
	writeFileSync(DEV_SECRET_FILE, secret + '\n', { mode: 0o600 });
	chmodSync(DEV_SECRET_FILE, 0o600);
	return secret;
}

let cached: Config | undefined;

/** The process's configuration, read from process.env on first use. */
export function getConfig(): Config {
	cached ??= loadConfig(process.env);
	return cached;
}

/** For entry points (the server, the CLIs): the configuration, or its problems, one per line, and exit 1. */
export function getConfigOrExit(): Config {
	try {
		return getConfig();
	} catch (error) {
		if (!(error instanceof ConfigError)) throw error;
		console.error(error.message);
		process.exit(1);
	}
}
