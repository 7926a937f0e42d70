import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '$lib/server/config';

const SECRET = 'x'.repeat(32);

function problemsOf(env: Record<string, string>): string[] {
	try {
		loadConfig({ AUTH_SECRET: SECRET, ...env });
	} catch (error) {
		if (error instanceof ConfigError) return error.problems;
		throw error;
	}
	return [];
}

describe('configuration defaults', () => {
	it('runs on embedded SQLite and the dev outbox with nothing set', () => {
		const config = loadConfig({ AUTH_SECRET: SECRET });
		expect(config.databaseUrl).toBe('file:./data/app.db');
		expect(config.databaseDialect).toBe('sqlite');
		expect(config.mail).toEqual({
			transport: 'outbox',
			smtpUrl: undefined,
			from: 'Admin <admin@localhost>'
		});
		expect(config.otp).toEqual({ ttlSeconds: 300, resendCooldownSeconds: 60, length: 6 });
		expect(config.session).toEqual({ idleTimeoutHours: 12, maxAgeDays: 7 });
		expect(config.migrateOnStart).toBe(false);
	});

	it('names the app Admin and sends mail as Admin <admin@localhost>', () => {
		const config = loadConfig({ AUTH_SECRET: SECRET });
		expect(config.appName).toBe('Admin');
		expect(config.mail.from).toBe('Admin <admin@localhost>');
	});

	it('treats an empty variable as unset', () => {
		expect(loadConfig({ AUTH_SECRET: SECRET, DATABASE_URL: '', SMTP_URL: '' }).databaseUrl).toBe(
			'file:./data/app.db'
		);
	});

	it('recognises MySQL URLs and SMTP', () => {
		const config = loadConfig({
			AUTH_SECRET: SECRET,
			DATABASE_URL: 'mysql://app:pw@db:3306/admin',
			SMTP_URL: 'smtp://mail:25',
			MIGRATE_ON_START: 'true',
			OTP_TTL_SECONDS: '120'
		});
		expect(config.databaseDialect).toBe('mysql');
		expect(config.mail.transport).toBe('smtp');
		expect(config.migrateOnStart).toBe(true);
		expect(config.otp.ttlSeconds).toBe(120);
	});
});

describe('APP_NAME', () => {
	const configWith = (env: Record<string, string>) => loadConfig({ AUTH_SECRET: SECRET, ...env });

	it('names the app and, unless MAIL_FROM is set, the sender', () => {
		const config = configWith({ APP_NAME: '  Acme Ops ' });
		expect(config.appName).toBe('Acme Ops');
		expect(config.mail.from).toBe('Acme Ops <admin@localhost>');
		expect(configWith({ APP_NAME: 'Acme', MAIL_FROM: 'ops@acme.test' }).mail.from).toBe(
			'ops@acme.test'
		);
	});

	it('quotes a sender name that is more than plain words, so it stays one address', () => {
		expect(configWith({ APP_NAME: 'Acme, Inc.' }).mail.from).toBe('"Acme, Inc." <admin@localhost>');
		expect(configWith({ APP_NAME: 'Say "hi" \\ bye' }).mail.from).toBe(
			'"Say \\"hi\\" \\\\ bye" <admin@localhost>'
		);
		expect(configWith({ APP_NAME: 'Café' }).mail.from).toBe('"Café" <admin@localhost>');
	});

	it('refuses a blank name, a line break or a control character, and more than 60 characters', () => {
		expect(problemsOf({ APP_NAME: '   ' })).toEqual(['APP_NAME: must not be blank']);
		for (const name of ['Acme\r\nBcc: x@y.z', 'Acme\n', 'Ac\u0000me', 'Ac\tme']) {
			expect(problemsOf({ APP_NAME: name }), JSON.stringify(name)).toEqual([
				'APP_NAME: must not contain line breaks or control characters'
			]);
		}
		expect(problemsOf({ APP_NAME: 'x'.repeat(60) })).toEqual([]);
		expect(problemsOf({ APP_NAME: 'x'.repeat(61) })).toEqual([
			'APP_NAME: expected at most 60 characters'
		]);
	});
});

describe('REMEMBER_DEVICE_DAYS', () => {
	it('is 30 days unless set; 0 turns remembering off', () => {
		expect(loadConfig({ AUTH_SECRET: SECRET }).rememberDeviceDays).toBe(30);
		expect(loadConfig({ AUTH_SECRET: SECRET, REMEMBER_DEVICE_DAYS: '0' }).rememberDeviceDays).toBe(
			0
		);
		expect(loadConfig({ AUTH_SECRET: SECRET, REMEMBER_DEVICE_DAYS: '7' }).rememberDeviceDays).toBe(
			7
		);
	});

	it.each(['-1', '366', '1.5', 'a month'])('refuses %s', (value) => {
		expect(problemsOf({ REMEMBER_DEVICE_DAYS: value })).toEqual([
			'REMEMBER_DEVICE_DAYS: expected a whole number from 0 to 365'
		]);
	});
});

describe('FACTOR_POLICY', () => {
	const policyOf = (value: string) =>
		loadConfig({ AUTH_SECRET: SECRET, FACTOR_POLICY: value }).factorPolicy;

	it('is empty unless set: email codes stay enough for every role', () => {
		expect(loadConfig({ AUTH_SECRET: SECRET }).factorPolicy).toEqual({});
		expect(policyOf('')).toEqual({});
	});

	it('"admins must use a security key" is one line', () => {
		expect(policyOf('admin: webauthn')).toEqual({ admin: ['webauthn'] });
	});

	it('reads several roles, kinds in the order written, spaces or commas between them', () => {
		expect(policyOf('admin: webauthn totp; member: totp')).toEqual({
			admin: ['webauthn', 'totp'],
			member: ['totp']
		});
		expect(policyOf(' admin:totp,webauthn ;')).toEqual({ admin: ['totp', 'webauthn'] });
		expect(policyOf('admin: totp totp')).toEqual({ admin: ['totp'] });
	});

	it.each([
		['admin webauthn', 'expected role: kinds, e.g. "admin: webauthn totp" (roles separated by ;)'],
		['root: totp', 'unknown role "root" (roles: admin, member)'],
		['admin: email', 'unknown factor kind "email" (kinds: webauthn, totp)'],
		['admin: sms totp', 'unknown factor kind "sms" (kinds: webauthn, totp)'],
		['admin:', 'no factor kinds for "admin" (kinds: webauthn, totp)'],
		['admin: totp; admin: webauthn', 'role "admin" is named twice']
	])('refuses %j at start, naming the variable', (value, problem) => {
		expect(problemsOf({ FACTOR_POLICY: value })).toEqual([`FACTOR_POLICY: ${problem}`]);
	});
});

describe('bad configuration stops with one line per problem', () => {
	it('names the variable and what was expected', () => {
		expect(problemsOf({ DATABASE_URL: 'postgres://x' })).toEqual([
			'DATABASE_URL: expected file:<path> (SQLite) or mysql://user:pass@host:port/db'
		]);
	});

	it('reports every problem at once', () => {
		const problems = problemsOf({
			OTP_TTL_SECONDS: 'soon',
			OTP_RESEND_COOLDOWN_SECONDS: '0',
			MIGRATE_ON_START: 'yes',
			SMTP_URL: 'http://mail',
			ORIGIN: 'https://admin.example.com/path'
		});
		expect(problems.map((line) => line.split(':')[0]).sort()).toEqual([
			'MIGRATE_ON_START',
			'ORIGIN',
			'OTP_RESEND_COOLDOWN_SECONDS',
			'OTP_TTL_SECONDS',
			'SMTP_URL'
		]);
	});

	it('caps the code lifetime at 600 seconds (NIST)', () => {
		expect(problemsOf({ OTP_TTL_SECONDS: '601' })).toEqual([
			'OTP_TTL_SECONDS: expected at most 600 seconds'
		]);
	});

	it('refuses a sender with line breaks (header injection)', () => {
		expect(problemsOf({ MAIL_FROM: 'a@b.c\r\nBcc: x@y.z' })).toEqual([
			'MAIL_FROM: must not contain line breaks'
		]);
	});

	it('refuses a short AUTH_SECRET', () => {
		expect(problemsOf({ AUTH_SECRET: 'short' })).toEqual([
			'AUTH_SECRET: expected at least 32 bytes'
		]);
	});

	it('requires SMTP and a secret in production', () => {
		const problems = problemsOf({ NODE_ENV: 'production', AUTH_SECRET: '' });
		expect(problems).toHaveLength(2);
		expect(problems[0]).toMatch(/^SMTP_URL: required when NODE_ENV=production/);
		expect(problems[1]).toMatch(/^AUTH_SECRET: required when NODE_ENV=production/);
	});

	it('lets production keep mail in the outbox only when asked to', () => {
		expect(problemsOf({ NODE_ENV: 'production', MAIL_TRANSPORT: 'outbox' })).toEqual([]);
	});
});
