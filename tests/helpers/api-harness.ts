// The setup the server-side-caller integration suites share: a migrated database, a real SMTP
// sink on loopback and a mailer pointed at it, per dialect, with the server's mail sender
// delivering the queue through it; callers built the way the session hook builds a request's
// context; and the two-step sign-in.
import { TRPCError } from '@trpc/server';
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import { authenticate, localsOf } from '$lib/server/auth/authenticate';
import { getPolicy, type AuthPolicy } from '$lib/server/auth/policy';
import { validateSessionToken } from '$lib/server/auth/session';
import type { DatabaseDialect } from '$lib/server/config';
import type { Database } from '$lib/server/db/schema';
import { createMailer, startMailSender, type Mailer, type MailSender } from '$lib/server/mail';
import { createContextInner } from '$lib/server/trpc/context';
import { createCaller } from '$lib/server/trpc/router';
import { createMigratedDatabase, type TestDatabase } from '../../tools/databases';
import { waitForCode } from '../../tools/sign-in';
import { startSmtpSink, type SmtpSink } from '../../tools/smtp-sink';

const policy = getPolicy();

export type Caller = ReturnType<typeof createCaller>;

/** The rejection of a call, which must be a TRPCError. */
export async function errorOf(call: Promise<unknown>): Promise<TRPCError> {
	const error = await call.then(
		() => null,
		(caught: unknown) => caught
	);
	if (!(error instanceof TRPCError)) throw new Error(`expected a TRPCError, got ${error}`);
	return error;
}

/**
 * The password step's answer when the second step is to follow; a bearer sign-in always gets it
 * (`status: 'verified'` is for a browser whose remembered device stood in for the code).
 */
export function codeRequired<T extends { status: string }>(
	result: T
): Extract<T, { status: 'otp_required' }> {
	if (result.status !== 'otp_required') throw new Error(`expected the code step: ${result.status}`);
	return result as Extract<T, { status: 'otp_required' }>;
}

/** Moves the clock the app reads; timers stay real so the drivers keep working. */
export function advanceClock(ms: number) {
	vi.useFakeTimers({ toFake: ['Date'] });
	vi.setSystemTime(Date.now() + ms);
}

/** The procedure at a dotted path of a caller (`users.setRole`). */
export function procedureAt(caller: Caller, path: string): (input?: unknown) => Promise<unknown> {
	return path
		.split('.')
		.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller) as (
		input?: unknown
	) => Promise<unknown>;
}

export interface ApiHarnessOptions {
	/**
	 * How `callerFor` turns a bearer value into the context: `'session'` (the default) validates it
	 * as a session token; `'authenticate'` runs `authenticate`/`localsOf` as the session hook does,
	 * so API tokens work too (and activity is recorded).
	 */
	auth?: 'session' | 'authenticate';
}

export interface CallerOptions {
	/** The client address; 203.0.113.7 unless told. */
	ip?: string;
	/** The User-Agent; `vitest` unless told. */
	userAgent?: string;
	/** Another mailer than the harness's (one that fails, say). */
	mailer?: Mailer;
	/**
	 * The procedures' database (the harness's with a fault plugin, say); the session is still
	 * validated against the harness's own.
	 */
	db?: Kysely<Database>;
	/** Other rules than the configuration's (a FACTOR_POLICY, say). */
	policy?: AuthPolicy;
}

/** Who signs in: a seeded user (`seedUser`) or anything with the same fields. */
export interface SignInUser {
	username: string;
	email: string | null;
	password: string;
}

/**
 * Registers the suite's hooks (call it directly inside a `describe`): a migrated database, an SMTP
 * sink and a mailer before all tests, all three gone after, and real timers after each test.
 * The returned getters are only usable once the hooks ran (inside tests and later hooks).
 */
export function useApiHarness(dialect: DatabaseDialect, options: ApiHarnessOptions = {}) {
	let database: TestDatabase;
	let sink: SmtpSink;
	let mailer: Mailer;
	let sender: MailSender;

	beforeAll(async () => {
		database = await createMigratedDatabase(dialect);
		sink = await startSmtpSink();
		mailer = createMailer({
			transport: 'smtp',
			smtpUrl: sink.url,
			from: 'Admin <admin@example.com>',
			db: database.db
		});
		// As in the server: notices are queued with their change and this sender, woken by the
		// commit, sends them at once, so a test waits for one in the sink as for a code.
		sender = startMailSender({ db: database.db, mailer });
	});
	afterAll(async () => {
		await sender?.stop();
		await mailer?.close();
		await sink?.stop();
		await database?.drop();
	});
	afterEach(() => {
		vi.useRealTimers();
	});

	/** A caller as the session hook would build it for this bearer value. */
	async function callerFor(
		token: string | null,
		{
			ip = '203.0.113.7',
			userAgent = 'vitest',
			mailer: withMailer = mailer,
			db: procedureDb = database.db,
			policy: rules = policy
		}: CallerOptions = {}
	): Promise<Caller> {
		const context = {
			db: procedureDb,
			dialect,
			mailer: withMailer,
			policy: rules,
			clientAddress: ip,
			userAgent
		};
		if (options.auth === 'authenticate') {
			const auth = token
				? await authenticate(database.db, { token, transport: 'bearer' }, policy.session, {
						ip: () => ip,
						userAgent
					})
				: null;
			return createCaller(createContextInner({ ...context, ...localsOf(auth) }));
		}
		const valid = token ? await validateSessionToken(database.db, token, policy.session) : null;
		return createCaller(
			createContextInner({
				...context,
				user: valid?.user ?? null,
				session: valid?.session ?? null,
				sessionToken: valid ? token : null,
				sessionTransport: valid ? 'bearer' : null
			})
		);
	}

	/** The password step, asking for a bearer session. */
	async function login(user: SignInUser, password = user.password) {
		const caller = await callerFor(null);
		return codeRequired(
			await caller.auth.login({ username: user.username, password, tokenType: 'bearer' })
		);
	}

	/** The password step: the pending token and the code emailed to the user's address. */
	async function startSignIn(
		user: SignInUser,
		password = user.password
	): Promise<{ pending: string; code: string }> {
		const started = await login(user, password);
		const { code } = await waitForCode(sink, user.email!);
		return { pending: started.sessionToken!, code };
	}

	/** Password, then the emailed code: the token of a verified (so stepped-up) session. */
	async function signIn(user: SignInUser, password = user.password): Promise<string> {
		const { pending, code } = await startSignIn(user, password);
		const verified = await (await callerFor(pending)).auth.verifyOtp({ code });
		return verified.sessionToken!;
	}

	/** Whether the session token is still valid. */
	async function isValid(token: string): Promise<boolean> {
		return (await validateSessionToken(database.db, token, policy.session)) !== null;
	}

	return {
		get database() {
			return database;
		},
		get db() {
			return database.db;
		},
		get sink() {
			return sink;
		},
		get mailer() {
			return mailer;
		},
		callerFor,
		login,
		startSignIn,
		signIn,
		isValid
	};
}
