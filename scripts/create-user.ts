// npm run create-user -- <username> --email <addr> [--admin] [--password-stdin | --invite]
// The password is asked for twice on a terminal without echo, or read as one line from stdin
// (`--password-stdin`), so it never appears in the shell history or the process list. With
// `--invite` there is none: the person is mailed a link (at ORIGIN) to choose their own.
import './load-env';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { ZodType } from 'zod';
import { emailSchema, newPasswordSchema, usernameSchema } from '../src/lib/schemas/auth';
import { getConfigOrExit } from '../src/lib/server/config';
import { PublicError } from '../src/lib/server/errors';
import { SYSTEM_ACTOR } from '../src/lib/server/services/actor';
import { inviteUser } from '../src/lib/server/services/invitations';
import { createUser } from '../src/lib/server/services/users';
import { openScriptDeps } from './service-deps';

const USAGE =
	'usage: npm run create-user -- <username> --email <addr> [--admin] [--password-stdin | --invite]';

interface Options {
	username: string;
	email: string;
	admin: boolean;
	passwordStdin: boolean;
	invite: boolean;
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
				'password-stdin': { type: 'boolean', default: false },
				invite: { type: 'boolean', default: false }
			}
		});
		const [username, ...extra] = positionals;
		if (username === undefined || extra.length > 0 || values.email === undefined) return null;
		if (values.invite && values['password-stdin']) return null;
		return {
			username,
			email: values.email,
			admin: values.admin,
			passwordStdin: values['password-stdin'],
			invite: values.invite
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
	if (!options.invite && !options.passwordStdin && !process.stdin.isTTY) {
		console.error('use --password-stdin when stdin is not a terminal (or --invite to mail a link)');
		return 2;
	}
	const username = validate(usernameSchema, 'username', options.username);
	const email = validate(emailSchema, 'email', options.email);
	if (username === null || email === null) return 1;

	const config = getConfigOrExit();
	const role = options.admin ? 'admin' : 'member';
	if (options.invite) return invite(config, { username, email, role });

	const password = options.passwordStdin ? await readPasswordFromStdin() : await askPassword();
	if (password === null) return 1;

	const { deps, close } = openScriptDeps(config);
	try {
		await createUser(deps, { username, email, password, role });
		console.log(`created ${username} (${role})`);
		return 0;
	} catch (error) {
		console.error(messageOf(error));
		return 1;
	} finally {
		await close();
	}
}

/** No password: the account waits for its owner to choose one with the mailed link. */
async function invite(
	config: ReturnType<typeof getConfigOrExit>,
	invitee: { username: string; email: string; role: 'admin' | 'member' }
): Promise<number> {
	const { deps, close } = openScriptDeps(config);
	try {
		// No request here: the link's origin is ORIGIN, or the invitation is refused.
		// The mail is queued with the account; close() below sends it (or says the server will).
		const { expiresAt } = await inviteUser(deps, invitee, SYSTEM_ACTOR, null);
		const until = expiresAt.toISOString();
		console.log(
			`invited ${invitee.username} (${invitee.role}): link sent to ${invitee.email}, valid until ${until}`
		);
		return 0;
	} catch (error) {
		console.error(messageOf(error));
		return 1;
	} finally {
		await close();
	}
}

/** A refusal's own words; anything else by its message only (never a stack with values in it). */
function messageOf(error: unknown): string {
	if (error instanceof PublicError) return error.message;
	return error instanceof Error ? error.message : String(error);
}

process.exitCode = await main(process.argv.slice(2));
