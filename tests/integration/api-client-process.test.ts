// The typed client (src/lib/client) in processes of their own against `node build`: a tool that
// signs in, creates API tokens and uses them, and the example internal tool run end to end,
// with nothing shared with the test but the HTTP API, the emailed code and the database.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { insertApiToken } from '$lib/server/auth/api-tokens';
import { useAppStack } from '../helpers/app-stack';
import { dialects } from '../../tools/databases';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

const TSX = resolve('node_modules/.bin/tsx');
const CLIENT_SCRIPT = resolve('tests/fixtures/api-client-script.ts');
const EXAMPLE_TOOL = resolve('scripts/example-internal-tool.ts');

interface Run {
	exitCode: number | null;
	stdout: string;
	stderr: string;
}

interface ScriptInput {
	/** Lines for stdin, in order; a function's line is written once its promise resolves. */
	stdin?: Array<string | (() => Promise<string>)>;
	/** Asked for every stdout line; a non-null reply is written to stdin. */
	answer?: (line: string) => Promise<string | null>;
}

function runScript(
	script: string,
	args: string[],
	options: ScriptInput = {},
	timeoutMs = 25_000
): Promise<Run> {
	return new Promise((resolvePromise, reject) => {
		const child = spawn(TSX, [script, ...args], {
			env: { PATH: process.env.PATH ?? '' },
			stdio: ['pipe', 'pipe', 'pipe']
		});
		let stdout = '';
		let stderr = '';
		let pending = '';
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`${script} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
		}, timeoutMs);
		const fail = (error: Error) => {
			child.kill('SIGKILL');
			reject(error);
		};
		void (async () => {
			for (const line of options.stdin ?? []) {
				child.stdin.write((typeof line === 'string' ? line : await line()) + '\n');
			}
		})().catch(fail);
		child.stdout.on('data', (chunk: Buffer) => {
			stdout += chunk;
			pending += chunk;
			const lines = pending.split('\n');
			pending = lines.pop()!;
			for (const line of lines) {
				options.answer?.(line).then((reply) => {
					if (reply !== null) child.stdin.write(reply + '\n');
				}, fail);
			}
		});
		child.stderr.on('data', (chunk) => (stderr += chunk));
		child.once('error', reject);
		child.once('exit', (exitCode) => {
			clearTimeout(timer);
			resolvePromise({ exitCode, stdout, stderr });
		});
	});
}

function resultOf(run: Run): Record<string, unknown> {
	const line = /^RESULT (.*)$/m.exec(run.stdout)?.[1];
	if (!line) throw new Error(`no RESULT line\n${run.stdout}\n${run.stderr}`);
	return JSON.parse(line);
}

describe.each(dialects)('API tokens from another process on %s', (dialect) => {
	const stack = useAppStack(dialect);

	const codeOf = async (user: SeededUser) => (await waitForCode(stack.sink, user.email!)).code;

	it('creates tokens through the API and uses them within their scopes', async () => {
		const admin = await seedUser(stack.database.db, { role: 'admin' });
		const other = await seedUser(stack.database.db);
		const run = await runScript(
			CLIENT_SCRIPT,
			[stack.server.origin, admin.username, admin.password],
			{
				async answer(line) {
					if (line === 'NEED_CODE') return codeOf(admin);
					const expire = /^EXPIRE (\w+)$/.exec(line);
					if (!expire) return null;
					// The server's clock cannot be moved from here: move the token's expiry instead.
					await stack.database.db
						.updateTable('api_tokens')
						.set({ expires_at: Date.now() - 1000 })
						.where('id', '=', expire[1]!)
						.execute();
					return 'ok';
				}
			}
		);

		expect(run.stderr).toBe('');
		expect(run.exitCode, run.stdout).toBe(0);
		const result = resultOf(run);
		expect(result).toMatchObject({
			tokenFormat: true,
			createdAtIsDate: true,
			me: {
				username: admin.username,
				apiToken: { id: result.readTokenId, scopes: ['read'] }
			},
			readMutation: 'FORBIDDEN',
			writeMutation: 'OK',
			tokenListsTokens: 'FORBIDDEN',
			tokenCreatesTokens: 'FORBIDDEN',
			afterRevoke: 'UNAUTHORIZED',
			afterExpiry: 'UNAUTHORIZED',
			sawHash: false,
			secretSeen: [1, 1]
		});
		expect(result.usernames).toEqual(expect.arrayContaining([admin.username, other.username]));
		const keys = [
			'createdAt',
			'expiresAt',
			'id',
			'lastUsedAt',
			'lastUsedIp',
			'name',
			'prefix',
			'scopes',
			'userId'
		];
		expect(result.listed).toEqual([
			{ name: 'sync', prefix: (result.prefixes as string[])[1], scopes: ['read', 'write'], keys },
			{ name: 'reporting', prefix: (result.prefixes as string[])[0], scopes: ['read'], keys }
		]);
	});

	it('runs the example tool interactively, the code read from the SMTP sink', async () => {
		const admin = await seedUser(stack.database.db, { role: 'admin' });
		const member = await seedUser(stack.database.db);
		// Username and password at once; the code once its email has arrived.
		const run = await runScript(EXAMPLE_TOOL, ['--url', stack.server.origin], {
			stdin: [admin.username, admin.password, () => codeOf(admin)]
		});

		expect(run.exitCode, run.stderr).toBe(0);
		expect(run.stderr).toContain(`signed in as ${admin.username} (session)`);
		// The password was read, never shown.
		expect(run.stdout + run.stderr).not.toContain(admin.password);
		const lines = run.stdout.trim().split('\n');
		expect(lines[0]).toMatch(/^USERNAME\s+EMAIL\s+ROLE\s+ACTIVE\s+CREATED$/);
		expect(lines).toEqual(
			expect.arrayContaining([
				expect.stringMatching(new RegExp(`^${admin.username}\\s+${admin.email}\\s+admin\\s+yes`)),
				expect.stringMatching(new RegExp(`^${member.username}\\s+${member.email}\\s+member`))
			])
		);
		// The tool signed out: its session is gone.
		const sessions = await stack.database.db
			.selectFrom('sessions')
			.select('id')
			.where('user_id', '=', admin.id)
			.execute();
		expect(sessions).toEqual([]);
	});

	it('runs the example tool with an API token', async () => {
		const admin = await seedUser(stack.database.db, { role: 'admin' });
		const { token } = await insertApiToken(stack.database.db, {
			userId: admin.id,
			name: 'example',
			scopes: ['read'],
			expiresAt: null
		});
		const run = await runScript(EXAMPLE_TOOL, ['--url', stack.server.origin, '--token', token]);

		expect(run.exitCode, run.stderr).toBe(0);
		expect(run.stderr).toContain(`signed in as ${admin.username} (API token, scopes: read)`);
		expect(run.stdout).toMatch(new RegExp(`^${admin.username}\\s`, 'm'));

		const refused = await runScript(EXAMPLE_TOOL, [
			'--url',
			stack.server.origin,
			'--token',
			token + 'x'
		]);
		expect(refused.exitCode).toBe(1);
		expect(refused.stderr).toMatch(/not signed in \(the token is unknown, expired or revoked\)/);
	});
});
