import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKUP_TOKEN_RULES } from '$lib/policy-rules';
import { backupTokenCountSchema } from '$lib/schemas/users';
import { keyedHash } from '$lib/server/auth/crypto';
import { verifyPassword } from '$lib/server/auth/password';
import { insertBackupTokens, normalizeBackupToken } from '$lib/server/auth/backup-tokens';
import { createUser } from '$lib/server/services/users';
import { createMigratedDatabase, dialects, type TestDatabase } from '../../tools/databases';
import { testDeps } from '../../tools/service-deps';
import { startSmtpSink, unusedPort } from '../../tools/smtp-sink';

const TSX = resolve('node_modules/.bin/tsx');
const CREATE_USER = resolve('scripts/create-user.ts');
const STATIC_TOKEN = resolve('scripts/static-token.ts');
const AUTH_SECRET = 'cli-test-secret-0123456789abcdef0123456789';
const TOKEN = /^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/;

describe.each(dialects)('command-line tools on %s', (dialect) => {
	let database: TestDatabase;

	beforeEach(async () => {
		database = await createMigratedDatabase(dialect);
	});
	afterEach(() => database.drop());

	/** Runs a script as `npm run` would, against this test's database; stdin is never a TTY. */
	function run(
		script: string,
		args: string[],
		input = '',
		env: Record<string, string> = {}
	): SpawnSyncReturns<string> {
		return spawnSync(TSX, [script, ...args], {
			env: { ...scriptEnv(), ...env },
			encoding: 'utf8',
			input
		});
	}

	/** This process's environment but ORIGIN (a script must say when it needs one). */
	function scriptEnv(): NodeJS.ProcessEnv {
		const { ORIGIN: _origin, ...inherited } = process.env;
		return { ...inherited, DATABASE_URL: database.url, NODE_ENV: 'development', AUTH_SECRET };
	}

	/** `run` without blocking this process (whose SMTP sink must answer the script). */
	function runAsync(
		script: string,
		args: string[],
		env: Record<string, string>
	): Promise<{ status: number | null; stdout: string; stderr: string }> {
		const child = spawn(TSX, [script, ...args], {
			env: { ...scriptEnv(), ...env },
			stdio: ['ignore', 'pipe', 'pipe']
		});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
		return new Promise((resolve, reject) => {
			child.once('error', reject);
			child.once('close', (status) => resolve({ status, stdout, stderr }));
		});
	}

	async function queueRows() {
		return database.db
			.selectFrom('mail_queue')
			.select(['recipient', 'status', 'attempts'])
			.execute();
	}

	async function userRows() {
		return database.db
			.selectFrom('users')
			.select(['id', 'username', 'email', 'role', 'password_hash'])
			.execute();
	}

	async function addUser(username: string, email: string): Promise<string> {
		const user = { username, email, password: 'a long enough password', role: 'member' as const };
		return createUser(testDeps(database.db), user);
	}

	describe('npm run create-user', () => {
		it('creates a member with the password from stdin, as typed minus the line ending', async () => {
			const password = ' correct horse battery stäple ';
			const result = run(
				CREATE_USER,
				['Alice', '--email', 'Alice@Example.com', '--password-stdin'],
				`${password}\r\n`
			);

			expect(result.stderr).toBe('');
			expect(result.status).toBe(0);
			expect(result.stdout).toBe('created alice (member)\n');
			const [user, ...others] = await userRows();
			expect(others).toEqual([]);
			expect(user).toMatchObject({ username: 'alice', email: 'alice@example.com', role: 'member' });
			expect(await verifyPassword(user!.password_hash, password)).toBe(true);
			expect(await verifyPassword(user!.password_hash, password.trim())).toBe(false);
		});

		it('creates an admin with --admin and never prints the password', async () => {
			const password = 'never-shown-anywhere-42';
			const result = run(
				CREATE_USER,
				['root', '--admin', '--email', 'root@example.com', '--password-stdin'],
				`${password}\n`
			);

			expect(result.status).toBe(0);
			expect(result.stdout).toBe('created root (admin)\n');
			expect(result.stdout + result.stderr).not.toContain(password);
			const [user] = await userRows();
			expect(user?.role).toBe('admin');
			expect(await verifyPassword(user!.password_hash, password)).toBe(true);
		});

		it('rejects an invalid email with the field message, exit 1, and inserts nothing', async () => {
			const result = run(
				CREATE_USER,
				['alice', '--email', 'not-an-address', '--password-stdin'],
				'a long enough password\n'
			);

			expect(result.status).toBe(1);
			expect(result.stderr).toContain('email: A valid email address');
			expect(result.stdout).toBe('');
			expect(await userRows()).toEqual([]);
		});

		it('refuses a taken username (any case) with exit 1', async () => {
			await addUser('bob', 'bob@example.com');

			const result = run(
				CREATE_USER,
				['BOB', '--email', 'other@example.com', '--password-stdin'],
				'a long enough password\n'
			);

			expect(result.status).toBe(1);
			expect(result.stderr).toContain('username or email is taken');
			expect(result.stdout).toBe('');
			expect(await userRows()).toHaveLength(1);
		});

		it('asks for --password-stdin when stdin is not a terminal (exit 2)', async () => {
			const result = run(CREATE_USER, ['alice', '--email', 'alice@example.com']);

			expect(result.status).toBe(2);
			expect(result.stderr).toContain('use --password-stdin when stdin is not a terminal');
			expect(await userRows()).toEqual([]);
		});

		it('rejects an unknown flag with the usage line (exit 2)', () => {
			const result = run(CREATE_USER, ['alice', '--email', 'a@example.com', '--superuser']);

			expect(result.status).toBe(2);
			expect(result.stderr).toContain('usage: npm run create-user -- <username>');
		});
	});

	describe('npm run create-user -- --invite', () => {
		const ORIGIN = 'https://admin.example.test';

		async function outbox() {
			return database.db
				.selectFrom('mail_outbox')
				.select(['recipient', 'subject', 'text_body'])
				.execute();
		}

		it('creates the account without a usable password and mails a link at ORIGIN', async () => {
			const result = run(CREATE_USER, ['Dana', '--email', 'dana@example.com', '--invite'], '', {
				ORIGIN
			});

			expect(result.stderr).not.toMatch(/error/i);
			expect(result.status).toBe(0);
			expect(result.stdout).toMatch(
				/^invited dana \(member\): link sent to dana@example\.com, valid until \d{4}-\d\d-\d\dT/
			);
			const [user] = await userRows();
			expect(user).toMatchObject({ username: 'dana', email: 'dana@example.com', role: 'member' });
			expect(user!.password_hash.startsWith('!')).toBe(true);
			expect(await verifyPassword(user!.password_hash, user!.password_hash)).toBe(false);

			const [mail, ...more] = await outbox();
			expect(more).toEqual([]);
			expect(mail).toMatchObject({
				recipient: 'dana@example.com',
				subject: 'You are invited to Admin'
			});
			const token =
				/^\s*https:\/\/admin\.example\.test\/login\/invite\?token=([\w-]{43})\s*$/m.exec(
					mail!.text_body
				)?.[1];
			expect(token).toBeDefined();
			expect(result.stdout + result.stderr).not.toContain(token!);
			// The row holds the keyed hash of the mailed token (made with the script's secret).
			const links = await database.db
				.selectFrom('account_links')
				.select(['purpose', 'user_id', 'token_hash', 'used_at', 'expires_at', 'created_at'])
				.execute();
			expect(links).toEqual([
				expect.objectContaining({
					purpose: 'invite',
					user_id: user!.id,
					token_hash: keyedHash('account-link:invite', token!, AUTH_SECRET),
					used_at: null
				})
			]);
			const ttl = Number(links[0]!.expires_at) - Number(links[0]!.created_at);
			expect(ttl).toBe(72 * 60 * 60 * 1000);
		});

		it('refuses without ORIGIN (no link on a guess), exit 1, and creates nothing', async () => {
			const result = run(CREATE_USER, ['erin', '--email', 'erin@example.com', '--invite']);

			expect(result.status).toBe(1);
			expect(result.stderr).toContain('set ORIGIN');
			expect(await userRows()).toEqual([]);
			expect(await outbox()).toEqual([]);
		});

		it('refuses a taken address with exit 1 and mails nothing', async () => {
			await addUser('frank', 'frank@example.com');
			const result = run(CREATE_USER, ['other', '--email', 'FRANK@example.com', '--invite'], '', {
				ORIGIN
			});

			expect(result.status).toBe(1);
			expect(result.stderr).toContain('username or email is taken');
			expect(await userRows()).toHaveLength(1);
			expect(await outbox()).toEqual([]);
		});

		it('takes --invite or --password-stdin, not both (exit 2)', async () => {
			const result = run(CREATE_USER, [
				'gina',
				'--email',
				'gina@example.com',
				'--invite',
				'--password-stdin'
			]);

			expect(result.status).toBe(2);
			expect(result.stderr).toContain('usage: npm run create-user');
			expect(await userRows()).toEqual([]);
		});
	});

	describe('npm run static-token', () => {
		it('prints exactly N new tokens and nothing else; stores and audits no token in clear', async () => {
			const userId = await addUser('carol', 'carol@example.com');

			const result = run(STATIC_TOKEN, ['carol', '--count', '3']);

			expect(result.status).toBe(0);
			const tokens = result.stdout.split('\n');
			expect(tokens.pop()).toBe('');
			expect(tokens).toHaveLength(3);
			for (const token of tokens) expect(token).toMatch(TOKEN);
			expect(new Set(tokens).size).toBe(3);

			const rows = await database.db
				.selectFrom('backup_tokens')
				.select(['user_id', 'token_hash'])
				.execute();
			expect(rows.map((row) => row.user_id)).toEqual([userId, userId, userId]);
			const forms = tokens.flatMap((token) => [token, token.replaceAll('-', '')]);
			for (const row of rows) {
				for (const form of forms) expect(row.token_hash).not.toContain(form);
			}
			// The printed tokens are the stored ones: their keyed hashes are what the table holds.
			const expected = tokens.map((token) =>
				keyedHash('static-token', normalizeBackupToken(token)!, AUTH_SECRET)
			);
			expect(rows.map((row) => row.token_hash).sort()).toEqual(expected.sort());

			const audits = await database.db
				.selectFrom('audit_log')
				.selectAll()
				.where('event', '=', 'backup_token.minted')
				.execute();
			expect(audits).toHaveLength(1);
			expect(audits[0]?.subject_id).toBe(userId);
			const audit = JSON.stringify(audits[0]);
			for (const form of forms) expect(audit).not.toContain(form);

			// The owner is told, as for tokens minted in the app; the notice holds no token.
			const notices = await database.db
				.selectFrom('mail_outbox')
				.select(['subject', 'text_body'])
				.where('recipient', '=', 'carol@example.com')
				.execute();
			expect(notices.map((notice) => notice.subject)).toEqual(['New backup tokens for Admin']);
			for (const form of forms) expect(notices[0]!.text_body).not.toContain(form);
		});

		it('delivers the notice through SMTP before it exits', async () => {
			await addUser('carol', 'carol@example.com');
			const sink = await startSmtpSink();
			try {
				// Not spawnSync: the sink in this process must be free to answer while the script runs.
				const result = await runAsync(STATIC_TOKEN, ['carol'], { SMTP_URL: sink.url });
				expect(result.status).toBe(0);
				const mail = await sink.waitForMessage((m) => m.envelopeTo.includes('carol@example.com'));
				expect(mail.subject).toBe('New backup tokens for Admin');
				expect(await queueRows()).toMatchObject([{ status: 'sent', attempts: 1 }]);
			} finally {
				await sink.stop();
			}
		});

		it('with the SMTP server down: prints the tokens, exits 0, and leaves the notice queued for the server', async () => {
			await addUser('carol', 'carol@example.com');
			const port = await unusedPort();

			const result = run(STATIC_TOKEN, ['carol'], '', { SMTP_URL: `smtp://127.0.0.1:${port}` });

			expect(result.status).toBe(0);
			expect(result.stdout.trim().split('\n')).toHaveLength(BACKUP_TOKEN_RULES.defaultCount);
			expect(result.stderr).toContain(
				'1 mail(s) could not be sent now; the server will retry them'
			);
			expect(result.stderr).toMatch(/\[mail\] queued mail \w+ to @example\.com not sent \(try 1\)/);
			expect(result.stderr).not.toContain('carol@');
			expect(await queueRows()).toMatchObject([
				{ recipient: 'carol@example.com', status: 'pending', attempts: 1 }
			]);
		});

		it('mints the one default count of backup tokens when --count is left out', async () => {
			await addUser('carol', 'carol@example.com');

			const result = run(STATIC_TOKEN, ['carol']);

			expect(result.status).toBe(0);
			expect(result.stdout.trim().split('\n')).toHaveLength(BACKUP_TOKEN_RULES.defaultCount);
			expect(backupTokenCountSchema.parse(undefined)).toBe(BACKUP_TOKEN_RULES.defaultCount);
		});

		it('refuses tokens beyond 20 held, exit 1, and mints none', async () => {
			const userId = await addUser('carol', 'carol@example.com');
			await insertBackupTokens(database.db, userId, 18);

			const result = run(STATIC_TOKEN, ['carol', '--count', '3']);

			expect(result.status).toBe(1);
			expect(result.stdout).toBe('');
			expect(result.stderr).toContain('At most 20 unused backup tokens');
			const rows = await database.db.selectFrom('backup_tokens').select('id').execute();
			expect(rows).toHaveLength(18);
		});

		it.each(['0', '21', 'abc'])('refuses --count %s with exit 2 and mints nothing', async (n) => {
			await addUser('carol', 'carol@example.com');

			const result = run(STATIC_TOKEN, ['carol', '--count', n]);

			expect(result.status).toBe(2);
			expect(result.stdout).toBe('');
			expect(result.stderr).toContain('--count');
			const rows = await database.db.selectFrom('backup_tokens').select('id').execute();
			expect(rows).toEqual([]);
		});

		it('reports an unknown user on stderr only, exit 1', () => {
			const result = run(STATIC_TOKEN, ['nobody']);

			expect(result.status).toBe(1);
			expect(result.stdout).toBe('');
			expect(result.stderr).toContain('nobody');
		});
	});
});
