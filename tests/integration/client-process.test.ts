// @trpc/client in a process of its own against `node build`: the contract as a tool sees it,
// with nothing shared with the test but the HTTP API and the emailed code.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { dialects } from '../../tools/databases';
import { seedUser, waitForCode, type SeededUser } from '../../tools/sign-in';

const TSX = resolve('node_modules/.bin/tsx');
const SCRIPT = resolve('tests/fixtures/trpc-client-script.ts');

interface ScriptRun {
	exitCode: number | null;
	stdout: string;
	stderr: string;
	result: Record<string, unknown> | null;
}

/** Runs the client script, answering its NEED_CODE with the code `codeFor` returns. */
function runClient(
	args: string[],
	codeFor: () => Promise<string>,
	timeoutMs = 20_000
): Promise<ScriptRun> {
	return new Promise((resolvePromise, reject) => {
		const child = spawn(TSX, [SCRIPT, ...args], {
			env: { PATH: process.env.PATH ?? '' },
			stdio: ['pipe', 'pipe', 'pipe']
		});
		let stdout = '';
		let stderr = '';
		let asked = false;
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`client script did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
		}, timeoutMs);
		child.stdout.on('data', (chunk) => {
			stdout += chunk;
			if (asked || !/^NEED_CODE$/m.test(stdout)) return;
			asked = true;
			codeFor().then(
				(code) => child.stdin.write(code + '\n'),
				(error: Error) => {
					child.kill('SIGKILL');
					reject(error);
				}
			);
		});
		child.stderr.on('data', (chunk) => (stderr += chunk));
		child.once('error', reject);
		child.once('exit', (exitCode) => {
			clearTimeout(timer);
			const line = /^RESULT (.*)$/m.exec(stdout)?.[1];
			resolvePromise({ exitCode, stdout, stderr, result: line ? JSON.parse(line) : null });
		});
	});
}

describe.each(dialects)('@trpc/client in another process on %s', (dialect) => {
	const stack = useAppStack(dialect);

	const signIn = (user: SeededUser, mode: 'cookie' | 'bearer') =>
		runClient([stack.server.origin, user.username, user.password, mode], async () => {
			const { code } = await waitForCode(stack.sink, user.email!);
			return code;
		});

	it.each(['cookie', 'bearer'] as const)(
		'signs in with the %s, reaches account.sessions, and logs out',
		async (mode) => {
			const user = await seedUser(stack.database.db);
			const run = await signIn(user, mode);

			expect(run.stderr).toBe('');
			expect(run.exitCode, run.stdout).toBe(0);
			expect(run.result).toEqual({
				login: {
					status: 'otp_required',
					codeSent: true,
					// Only a caller asking for bearer mode is handed the token in the body.
					hasSessionToken: mode === 'bearer',
					// superjson on the wire: dates arrive as dates.
					expiresAtIsDate: true
				},
				pendingGotToken: true,
				pendingWhileWaiting: 'UNAUTHORIZED',
				verified: {
					status: 'verified',
					username: user.username,
					hasSessionToken: mode === 'bearer'
				},
				tokenChanged: true,
				me: { username: user.username, state: 'verified' },
				sessions: [{ state: 'verified', current: true, createdAtIsDate: true }],
				staleSessions: 'UNAUTHORIZED',
				afterLogout: null
			});
		}
	);

	it('reports a wrong code as UNAUTHORIZED', async () => {
		const user = await seedUser(stack.database.db);
		const run = await runClient(
			[stack.server.origin, user.username, user.password, 'cookie'],
			async () => {
				const { code } = await waitForCode(stack.sink, user.email!);
				// Another code of the same length, certainly not the one sent.
				return code.replace(/\d$/, (digit) => String((Number(digit) + 1) % 10));
			}
		);

		expect(run.exitCode).toBe(1);
		expect(run.stdout).toMatch(/^ERROR .*"code":"UNAUTHORIZED"/m);
	});
});
