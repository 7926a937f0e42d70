// npm run create-user -- <username> --email <addr> [--admin] [--password-stdin]
// The password is asked for twice on a terminal without echo, or read as one line from stdin
// (`--password-stdin`), so it never appears in the shell history or the process list.
import './load-env';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { ZodType } from 'zod';
import { emailSchema, newPasswordSchema, usernameSchema } from '../src/lib/schemas/auth';
import { getConfigOrExit } from '../src/lib/server/config';
import { UserExistsError } from '../src/lib/server/errors';
import { createUser } from '../src/lib/server/services/users';
import { openScriptDeps } from './service-deps';

const USAGE =
	'usage: npm run create-user -- <username> --email <addr> [--admin] [--password-stdin]';

interface Options {
	username: string;
	email: string;
	admin: boolean;
	passwordStdin: boolean;
}

/** The command line, or null after printing why it is not one we accept. */
function parseOptions(args: string[]): Options | null {
	try {
		const { values, positionals } = parseArgs({
			args,
			strict: true,
			allowPositionals: true,
			options: {
				email: { type: 'string' },
				admin: { type: 'boolean', default: false },
				'password-stdin': { type: 'boolean', default: false }
			}
		});
		const [username, ...extra] = positionals;
		if (username === undefined || extra.length > 0 || values.email === undefined) return null;
		return {
			username,
			email: values.email,
			admin: values.admin,
			passwordStdin: values['password-stdin']
		};
	} catch (error) {
		// parseArgs throws only for arguments it does not accept (unknown flag, missing value).
		console.error(error instanceof Error ? error.message : error);
		return null;
	}
}

/** The schema's output, or null after printing its message for `field` (never the input). */
function validate<T>(schema: ZodType<T>, field: string, input: string): T | null {
	const result = schema.safeParse(input);
	if (result.success) return result.data;
	console.error(`${field}: ${result.error.issues[0]?.message ?? 'invalid'}`);
	return null;
}

/** Asks twice on the terminal without echo; null after saying why there is no password. */
async function askPassword(): Promise<string | null> {
	// readline switches the terminal to raw mode and echoes into `output`, which drops it all.
	// One interface for both questions, so a line typed ahead is queued, not lost.
	const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
	const rl = createInterface({
		input: process.stdin,
		output: muted,
		terminal: true,
		historySize: 0
	});
	rl.on('SIGINT', () => rl.close()); // Ctrl-C ends the line iterator like Ctrl-D does
	const lines = rl[Symbol.asyncIterator]();
	const ask = async (prompt: string): Promise<string | null> => {
		process.stderr.write(prompt);
		const line = await lines.next();
		process.stderr.write('\n');
		return line.done ? null : line.value;
	};
	try {
		const password = await ask('Password: ');
		if (password === null) {
			console.error('cancelled');
			return null;
		}
		if (validate(newPasswordSchema, 'password', password) === null) return null;
		const repeated = await ask('Password (again): ');
		if (repeated !== password) {
			console.error(repeated === null ? 'cancelled' : 'the passwords do not match');
			return null;
		}
		return password;
	} finally {
		rl.close();
	}
}

async function readPasswordFromStdin(): Promise<string | null> {
	const chunks: Buffer[] = [];
	for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
	// Only the line ending goes: spaces and everything else are part of the password.
	const password = Buffer.concat(chunks)
		.toString('utf8')
		.replace(/\r?\n$/, '');
	// A browser form cannot submit a line break, so such a password could never sign in.
	if (/[\r\n]/.test(password)) {
		console.error('password: expected one line on stdin');
		return null;
	}
	return validate(newPasswordSchema, 'password', password);
}

async function main(args: string[]): Promise<number> {
	const options = parseOptions(args);
	if (!options) {
		console.error(USAGE);
		return 2;
	}
	if (!options.passwordStdin && !process.stdin.isTTY) {
		console.error('use --password-stdin when stdin is not a terminal');
		return 2;
	}
	const username = validate(usernameSchema, 'username', options.username);
	const email = validate(emailSchema, 'email', options.email);
	if (username === null || email === null) return 1;

	const config = getConfigOrExit();
	const password = options.passwordStdin ? await readPasswordFromStdin() : await askPassword();
	if (password === null) return 1;

	const role = options.admin ? 'admin' : 'member';
	const { deps, close } = openScriptDeps(config);
	try {
		await createUser(deps, { username, email, password, role });
		console.log(`created ${username} (${role})`);
		return 0;
	} catch (error) {
		if (error instanceof UserExistsError) console.error(error.message);
		else console.error(error instanceof Error ? error.message : error);
		return 1;
	} finally {
		await close();
	}
}

process.exitCode = await main(process.argv.slice(2));
