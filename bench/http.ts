// What the benchmark sends besides the load itself: tRPC calls over fetch, the full sign-in with
// the code read from the SMTP sink, and readings of the bench server's counters.
import { performance } from 'node:perf_hooks';
import type { SmtpSink } from '../tools/smtp-sink';
import type { BenchStats } from './endpoints';
import { BENCH_PASSWORD } from './database';

/** `{"json": input}`: superjson's envelope for plain JSON values. */
export function trpcInput(input: unknown): string {
	return JSON.stringify({ json: input });
}

export function trpcQueryPath(path: string, input: unknown): string {
	return `/trpc/${path}?input=${encodeURIComponent(trpcInput(input))}`;
}

async function trpcMutation<T>(
	origin: string,
	path: string,
	input: unknown,
	headers: Record<string, string> = {}
): Promise<T> {
	const response = await fetch(`${origin}/trpc/${path}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...headers },
		body: trpcInput(input)
	});
	const body = (await response.json()) as {
		result?: { data: { json: T } };
		error?: { json: { message: string } };
	};
	if (!body.result) throw new Error(`${path}: ${body.error?.json.message ?? response.status}`);
	return body.result.data.json;
}

export interface SignIn {
	/** The verified session's token (bearer mode; it works as the cookie value too). */
	token: string;
	/** Milliseconds: the password step (mail sent before it answers), and the code step. */
	loginMs: number;
	verifyMs: number;
	/** From the first request to the verified session, reading the mail included. */
	endToEndMs: number;
}

/** Password, the code from the emailed message, verified: a person's sign-in, timed. */
export async function signIn(origin: string, sink: SmtpSink, username: string): Promise<SignIn> {
	const started = performance.now();
	const pending = await trpcMutation<{ sessionToken: string }>(origin, 'auth.login', {
		username,
		password: BENCH_PASSWORD,
		tokenType: 'bearer'
	});
	const loggedIn = performance.now();
	const mail = await sink.waitForMessage((message) =>
		message.envelopeTo.includes(`${username}@example.com`)
	);
	const code = /^[ \t]*(\d{6,10})[ \t\r]*$/m.exec(mail.text)?.[1];
	if (!code) throw new Error(`no code in the sign-in email to ${username}`);
	const codeRead = performance.now();
	const verified = await trpcMutation<{ sessionToken: string }>(
		origin,
		'auth.verifyOtp',
		{ code },
		{ authorization: `Bearer ${pending.sessionToken}` }
	);
	const done = performance.now();
	return {
		token: verified.sessionToken,
		loginMs: loggedIn - started,
		verifyMs: done - codeRead,
		endToEndMs: done - started
	};
}

/** The server's totals so far (GET /bench/stats: bench/server.js answers it, the app never). */
export async function readServerStats(origin: string): Promise<BenchStats> {
	const response = await fetch(`${origin}/bench/stats`);
	if (!response.ok)
		throw new Error(`/bench/stats answered ${response.status}: not bench/server.js?`);
	return (await response.json()) as BenchStats;
}

/** Waits until the server has made no query for a moment (a stopped load has drained). */
export async function waitUntilQuiet(origin: string, quietMs = 300): Promise<void> {
	let last = await readServerStats(origin);
	for (;;) {
		await new Promise((resolve) => setTimeout(resolve, quietMs));
		const now = await readServerStats(origin);
		if (now.queries === last.queries) return;
		last = now;
	}
}

export interface RoundTrips {
	queriesPerRequest: number;
	writesPerRequest: number;
}

/**
 * Database round trips per request, counted exactly: `count` requests one after another, and the
 * server's query counter before and after (reading it costs no query).
 */
export async function countRoundTrips(
	origin: string,
	path: string,
	headers: Record<string, string>,
	count: number
): Promise<RoundTrips> {
	const before = await readServerStats(origin);
	for (let i = 0; i < count; i++) {
		const response = await fetch(origin + path, { headers, redirect: 'manual' });
		await response.arrayBuffer();
		if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
	}
	const after = await readServerStats(origin);
	return {
		queriesPerRequest: (after.queries - before.queries) / count,
		writesPerRequest: (after.writes - before.writes) / count
	};
}
