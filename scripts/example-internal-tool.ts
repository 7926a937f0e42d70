// An internal tool built on the typed client: lists the users of an admin app.
//
//   npm run example:tool -- --url https://admin.example.com --token <api token>
//   ADMIN_API_TOKEN=<api token> npm run example:tool -- --url https://admin.example.com
//   npm run example:tool -- --url https://admin.example.com          (asks: username, password, code)
//
// Interactive sign-in prompts on the terminal (the password without echo); when stdin is not a
// terminal it reads the answers as lines from stdin, the code after the password step. The
// table goes to stdout, everything else to stderr.
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { TRPCClientError } from '@trpc/client';
import { createAdminClient, signInInteractively, type AdminClient } from '../src/lib/client';

const USAGE = 'usage: npm run example:tool -- --url <origin> [--token <api token>]';

interface Prompter {
	ask(prompt: string, options?: { secret?: boolean }): Promise<string>;
	close(): void;
}

/** One readline for every question, so lines piped or typed ahead are queued, not lost. */
function createPrompter(): Prompter {
	const terminal = Boolean(process.stdin.isTTY);
	let muted = false;
	// readline echoes what is typed into `output`; muting it hides the password.
	const output = new Writable({
		write(chunk, _encoding, done) {
			if (!muted) process.stderr.write(chunk);
			done();
		}
	});
	const rl = createInterface({
		input: process.stdin,
		output,
		terminal,
		prompt: '',
		historySize: 0
	});
	const lines = rl[Symbol.asyncIterator]();
	return {
		async ask(prompt, { secret = false } = {}) {
			process.stderr.write(prompt);
			muted = secret && terminal;
			const line = await lines.next();
			if (muted) process.stderr.write('\n');
			muted = false;
			if (line.done) throw new Error('input ended before an answer');
			// A password is taken as typed; other answers lose surrounding spaces.
			return secret ? line.value : line.value.trim();
		},
		close: () => rl.close()
	};
}

async function connect(url: string, token: string | undefined): Promise<AdminClient> {
	if (token) return createAdminClient({ url, token });
	const prompter = createPrompter();
	try {
		const username = await prompter.ask('Username: ');
		const password = await prompter.ask('Password: ', { secret: true });
		return await signInInteractively(url, {
			username,
			password,
			readCode: (login) =>
				prompter.ask(`Code (sent to ${login.email ?? 'your address'}) or backup token: `)
		});
	} finally {
		prompter.close();
	}
}

function printTable(rows: string[][]): void {
	const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
	for (const row of rows) {
		console.log(
			row
				.map((cell, column) => cell.padEnd(widths[column]!))
				.join('  ')
				.trimEnd()
		);
	}
}

async function main(args: string[]): Promise<number> {
	let url: string | undefined;
	let token: string | undefined;
	try {
		const { values } = parseArgs({
			args,
			strict: true,
			options: { url: { type: 'string' }, token: { type: 'string' } }
		});
		url = values.url;
		token = values.token ?? (process.env.ADMIN_API_TOKEN || undefined);
	} catch (error) {
		console.error(error instanceof Error ? error.message : error);
	}
	if (!url) {
		console.error(USAGE);
		return 2;
	}

	const api = await connect(url, token);
	const me = await api.auth.me.query();
	// A pending session (password only) sees no user: it has not finished signing in.
	if (!me || !('user' in me)) {
		console.error('error: not signed in (the token is unknown, expired or revoked)');
		return 1;
	}
	console.error(
		`signed in as ${me.user.username} ` +
			(me.apiToken ? `(API token, scopes: ${me.apiToken.scopes.join(', ')})` : '(session)')
	);
	try {
		const { users, total } = await api.users.list.query({ sort: 'username', pageSize: 100 });
		printTable([
			['USERNAME', 'EMAIL', 'ROLE', 'ACTIVE', 'CREATED'],
			...users.map((user) => [
				user.username,
				user.email ?? '-',
				user.role,
				user.active ? 'yes' : 'no',
				user.createdAt.toISOString().slice(0, 10)
			])
		]);
		console.error(`${users.length} of ${total} users`);
	} finally {
		// An interactive session ends with the tool; a token stays valid until revoked.
		if (!token) await api.auth.logout.mutate();
	}
	return 0;
}

main(process.argv.slice(2)).then(
	(code) => process.exit(code),
	(error: unknown) => {
		if (error instanceof TRPCClientError) {
			console.error(`error: ${error.message} (${String(error.data?.code ?? 'no code')})`);
		} else {
			console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
		}
		process.exit(1);
	}
);
