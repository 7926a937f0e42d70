// Secrets in logs: whatever goes right or wrong, no password, code, backup token, API token or
// session token may appear in what the server prints, since logs travel further (files,
// collectors, support tickets) than the database.
import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ZodError } from 'zod';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import { getConfig } from '$lib/server/config';
import { InvalidCredentialsError } from '$lib/server/errors';
import { logTrpcError, REDACTED } from '$lib/server/trpc/log';
import { useAppStack } from '../helpers/app-stack';
import { dialects, type TestDatabase } from '../../tools/databases';
import { postForm } from '../helpers/form-post';
import {
	CookieJar,
	seedUser,
	trpcMutation,
	trpcQuery,
	waitForCode,
	type SeededUser
} from '../../tools/sign-in';

describe('logTrpcError, given the failed call and its input', () => {
	const password = 'hunter2-correct-horse';
	const code = '482913';
	const token = 'sessiontokenabcdefghijklmnopqrstuvwxyz23';
	const apiToken = 'at_' + 'q'.repeat(40);

	afterEach(() => vi.restoreAllMocks());

	function log(error: TRPCError, input: unknown, sessionToken: string | null = null): string {
		const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
		logTrpcError({ error, type: 'mutation', path: 'auth.login', input, ctx: { sessionToken } });
		return spy.mock.calls.map((args) => args.join(' ')).join('\n');
	}

	/** An unexpected failure whose message quotes what it was given, as driver errors do. */
	function internal(message: string): TRPCError {
		return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: new Error(message) });
	}

	it('an internal error quoting the password, code and tokens of the input [logged, each value redacted]', () => {
		const input = { username: 'alice', password, code: Number(code), nested: [{ apiToken }] };
		const output = log(
			internal(`insert failed for ${JSON.stringify(input)}, token ${token}`),
			input,
			token
		);

		expect(output).toContain('[trpc] mutation auth.login failed:');
		expect(output).toContain(REDACTED);
		for (const secret of [password, code, token, apiToken]) expect(output).not.toContain(secret);
	});

	it('a secret typed into a field with an ordinary name, quoted by the error [redacted too]', () => {
		const input = { username: password, email: `${code}@example.com` };
		const output = log(internal(`no user ${password} / ${input.email}`), input);
		expect(output).not.toContain(password);
		expect(output).not.toContain(code);
	});

	it('a secret JSON-escaped inside the message [redacted]', () => {
		const quoted = 'pa"ss\\word with quotes';
		const output = log(internal(`bad row ${JSON.stringify({ quoted })}`), { password: quoted });
		expect(output).not.toContain(JSON.stringify(quoted).slice(1, -1));
		expect(output).toContain(REDACTED);
	});

	it('expected failures: a wrong password, bad input [nothing logged]', () => {
		const wrong = new TRPCError({
			code: 'UNAUTHORIZED',
			message: 'Wrong username or password',
			cause: new InvalidCredentialsError()
		});
		expect(log(wrong, { username: 'alice', password })).toBe('');
		const invalid = new TRPCError({ code: 'BAD_REQUEST', cause: new ZodError([]) });
		expect(log(invalid, { username: 'alice', password })).toBe('');
	});
});

const REFUSE_USERS = 'refuse_user_inserts';

/** A trigger whose error quotes the row, as a driver or constraint error may quote a value. */
async function refuseUserInserts({ db, dialect }: TestDatabase): Promise<void> {
	const statement =
		dialect === 'sqlite'
			? `CREATE TRIGGER ${REFUSE_USERS} BEFORE INSERT ON users BEGIN
				SELECT RAISE(ABORT, 'refused ' || NEW.username || ' ' || NEW.email); END`
			: `CREATE TRIGGER ${REFUSE_USERS} BEFORE INSERT ON users FOR EACH ROW BEGIN
				DECLARE message VARCHAR(255) DEFAULT CONCAT('refused ', NEW.username, ' ', NEW.email);
				SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = message; END`;
	await sql.raw(statement).execute(db);
}

async function allowUserInserts({ db }: TestDatabase): Promise<void> {
	await sql.raw(`DROP TRIGGER IF EXISTS ${REFUSE_USERS}`).execute(db);
}

describe.each(dialects)('secrets in the output of the production build on %s', (dialect) => {
	const stack = useAppStack(dialect, () => ({
		// Backup tokens minted here are keyed hashes: the server must hash with the same secret.
		AUTH_SECRET: getConfig().authSecret
	}));
	/** Every secret the server was given or gave out, right or wrong (and quoted input values). */
	const secrets = new Set<string>();
	const keep = <T extends string | undefined>(secret: T): T => {
		if (secret) secrets.add(secret);
		return secret;
	};

	/** What a browser adds to its own POSTs: the guard wants it with a session cookie. */
	const browser = () => ({ origin: stack.server.origin });
	const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
	/** Six digits that are not `code`. */
	const wrongCodeFor = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

	function expectNoSecretInOutput(): void {
		const output = stack.server.output();
		expect(output).toContain('Listening on');
		for (const secret of secrets) {
			expect(output, 'a secret in the server output').not.toContain(secret);
		}
	}

	async function newUser(role: 'admin' | 'member' = 'member'): Promise<SeededUser> {
		return seedUser(stack.database.db, {
			role,
			password: keep(`pw-${randomBytes(9).toString('base64url')}`)
		});
	}

	/** Password and code over the API with a bearer session; wrong ones first. Returns the token. */
	async function bearerSignIn(user: SeededUser): Promise<string> {
		const login = (password: string) =>
			trpcMutation<{ sessionToken: string }>(stack.server.origin, 'auth.login', {
				input: { username: user.username, password, tokenType: 'bearer' }
			});
		expect((await login(keep(`wrong-${randomBytes(6).toString('hex')}`))).status).toBe(401);
		const pending = keep((await login(user.password)).data!.sessionToken);
		const { code } = await waitForCode(stack.sink, user.email!);
		keep(code);
		const verify = (input: string) =>
			trpcMutation<{ sessionToken: string }>(stack.server.origin, 'auth.verifyOtp', {
				input: { code: input },
				headers: bearer(pending)
			});
		expect((await verify(keep(wrongCodeFor(code)))).status).toBe(401);
		return keep((await verify(code)).data!.sessionToken);
	}

	it('passwords and codes, right and wrong, over the API by cookie and by bearer [none in the server output]', async () => {
		const user = await newUser();
		await bearerSignIn(user);

		const jar = new CookieJar();
		const reply = await trpcMutation(stack.server.origin, 'auth.login', {
			input: { username: user.username, password: user.password },
			headers: browser(),
			jar
		});
		expect(reply.status).toBe(200);
		keep(jar.get('session'));
		const { code } = await waitForCode(stack.sink, user.email!);
		const verify = (input: string) =>
			trpcMutation(stack.server.origin, 'auth.verifyOtp', {
				input: { code: input },
				headers: browser(),
				jar
			});
		expect((await verify(keep(wrongCodeFor(code)))).status).toBe(401);
		expect((await verify(keep(code))).status).toBe(200);
		keep(jar.get('session'));
		expect((await trpcQuery(stack.server.origin, 'auth.me', { jar })).status).toBe(200);
		expectNoSecretInOutput();
	});

	it('passwords and codes, right and wrong, through the pages without JavaScript [none in the server output]', async () => {
		const user = await newUser();
		const jar = new CookieJar();
		const wrong = keep(`wrong-${randomBytes(6).toString('hex')}`);
		const login = (password: string) =>
			postForm(stack.server.origin, '/login', { username: user.username, password }, { jar });
		expect((await login(wrong)).status).toBe(401);
		expect((await login(user.password)).status).toBe(303);
		keep(jar.get('session'));
		const { code } = await waitForCode(stack.sink, user.email!);
		const verify = (input: string) =>
			postForm(stack.server.origin, '/login/verify?/verify', { code: input }, { jar });
		expect((await verify(keep(wrongCodeFor(code)))).status).toBe(401);
		expect((await verify(keep(code))).status).toBe(303);
		keep(jar.get('session'));
		expectNoSecretInOutput();
	});

	it('backup tokens, right and forged, dashed and compact [none in the server output]', async () => {
		const user = await newUser();
		const [token] = await insertBackupTokens(stack.database.db, user.id, 1);
		keep(token);
		keep(token!.replaceAll('-', ''));
		const login = await trpcMutation<{ sessionToken: string }>(stack.server.origin, 'auth.login', {
			input: { username: user.username, password: user.password, tokenType: 'bearer' }
		});
		const pending = keep(login.data!.sessionToken);
		keep((await waitForCode(stack.sink, user.email!)).code);
		const verify = (input: string) =>
			trpcMutation<{ sessionToken: string }>(stack.server.origin, 'auth.verifyOtp', {
				input: { code: input },
				headers: bearer(pending)
			});
		const forged = keep(`${token!.slice(0, -1)}${token!.endsWith('a') ? 'b' : 'a'}`);
		expect((await verify(forged)).status).toBe(401);
		const verified = await verify(token!);
		expect(verified.status).toBe(200);
		keep(verified.data!.sessionToken);
		expectNoSecretInOutput();
	});

	it('API tokens created and used by bearer; forged, made-up and 10 KB bearers [none in the server output]', async () => {
		const admin = await newUser('admin');
		const session = await bearerSignIn(admin);
		const created = await trpcMutation<{ token: string }>(stack.server.origin, 'apiTokens.create', {
			input: { name: 'ci', scopes: ['read'], expiresInDays: 30 },
			headers: bearer(session)
		});
		expect(created.status).toBe(200);
		const apiToken = keep(created.data!.token);

		expect(
			(await trpcQuery(stack.server.origin, 'users.list', { input: {}, headers: bearer(apiToken) }))
				.status
		).toBe(200);
		const forged = keep(`${apiToken.slice(0, -4)}aaaa`);
		expect(
			(await trpcQuery(stack.server.origin, 'users.list', { input: {}, headers: bearer(forged) }))
				.status
		).toBe(401);
		const made = keep(randomBytes(25).toString('hex'));
		expect(
			(await trpcQuery(stack.server.origin, 'users.list', { input: {}, headers: bearer(made) }))
				.status
		).toBe(401);
		// A read-only token calling a mutation that carries a password, and an over-long bearer.
		const write = await trpcMutation(stack.server.origin, 'users.create', {
			input: { username: 'eve', email: 'eve@example.com', password: keep('eve-password-1') },
			headers: bearer(apiToken)
		});
		expect(write.status).toBe(403);
		const huge = keep('x'.repeat(10_000));
		expect(
			(await trpcQuery(stack.server.origin, 'auth.me', { headers: bearer(huge) })).data
		).toBeNull();
		expectNoSecretInOutput();
	});

	it('a password change with a wrong current, an over-long new and the right password [none in the server output]', async () => {
		const user = await newUser();
		const session = await bearerSignIn(user);
		const change = (current: string, next: string) =>
			trpcMutation(stack.server.origin, 'account.changePassword', {
				input: { current, next, revokeApiTokens: true },
				headers: bearer(session)
			});
		const next = keep(`new-${randomBytes(9).toString('base64url')}`);
		expect((await change(keep(`wrong-${randomBytes(6).toString('hex')}`), next)).status).toBe(401);
		// Input the schema refuses: a new password far over the limit.
		expect((await change(user.password, keep('n'.repeat(5000)))).status).toBe(400);
		expect((await change(user.password, next)).status).toBe(200);
		const again = await trpcMutation(stack.server.origin, 'auth.login', {
			input: { username: user.username, password: next }
		});
		expect(again.status).toBe(200);
		keep((await waitForCode(stack.sink, user.email!)).code);
		expectNoSecretInOutput();
	});

	it('an internal error whose message quotes the input (a trigger refuses users.create) [500 with a generic message; logged with the input redacted]', async () => {
		const admin = await newUser('admin');
		const session = await bearerSignIn(admin);
		const name = `quoted-${randomBytes(4).toString('hex')}`;
		const input = {
			username: keep(name),
			email: keep(`${name}@example.com`),
			password: keep(`pw-${randomBytes(9).toString('base64url')}`),
			role: 'member'
		};
		await refuseUserInserts(stack.database);
		try {
			const reply = await trpcMutation(stack.server.origin, 'users.create', {
				input,
				headers: bearer(session)
			});
			expect(reply.status).toBe(500);
			expect(reply.error?.message).toBe('Internal server error');
			await expect
				.poll(() => stack.server.output())
				.toContain('[trpc] mutation users.create failed');
			expect(stack.server.output()).toContain(`refused ${REDACTED} `);
		} finally {
			await allowUserInserts(stack.database);
		}
		expectNoSecretInOutput();
	});

	it('the same internal error through the new-user form of the pages [500 with a generic message; logged with the input redacted]', async () => {
		const admin = await newUser('admin');
		const jar = new CookieJar();
		expect(
			(
				await postForm(
					stack.server.origin,
					'/login',
					{ username: admin.username, password: admin.password },
					{ jar }
				)
			).status
		).toBe(303);
		const { code } = await waitForCode(stack.sink, admin.email!);
		expect(
			(await postForm(stack.server.origin, '/login/verify?/verify', { code }, { jar })).status
		).toBe(303);
		keep(jar.get('session'));
		const name = `formed-${randomBytes(4).toString('hex')}`;
		const fields = {
			username: keep(name),
			email: keep(`${name}@example.com`),
			password: keep(`pw-${randomBytes(9).toString('base64url')}`),
			role: 'member'
		};
		const loggedFailures = () =>
			stack.server.output().split('mutation users.create failed').length - 1;
		const before = loggedFailures();
		await refuseUserInserts(stack.database);
		try {
			const reply = await postForm(stack.server.origin, '/users/new?/create', fields, { jar });
			expect(reply.status).toBe(500);
			expect(await reply.text()).toContain('Internal server error');
			// Logged once more, by the procedure middleware, with the form's values redacted.
			await expect.poll(loggedFailures).toBe(before + 1);
		} finally {
			await allowUserInserts(stack.database);
		}
		expectNoSecretInOutput();
	});

	it('everything above, once all output has arrived [no password, code or token anywhere in it]', async () => {
		expect(secrets.size).toBeGreaterThan(30);
		// Lines from the last requests may still be on their way through the pipe.
		await new Promise((resolve) => setTimeout(resolve, 200));
		expectNoSecretInOutput();
	});
});
