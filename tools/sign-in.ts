// Signing in from tests: seeded users, the code out of a captured email, a cookie jar, and raw
// tRPC calls over fetch (what any HTTP client sends, without @trpc/client in between).
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import superjson from 'superjson';
import type { Database } from '../src/lib/server/db/schema';
import { createUser } from '../src/lib/server/services/users';
import type { CapturedMail, SmtpSink } from './smtp-sink';
import { testDeps } from './service-deps';

/** The subject of the sign-in code email (templates.ts, default app name). */
export const OTP_SUBJECT = 'Your Admin sign-in code';

export const TEST_PASSWORD = 'correct horse battery staple';

export interface SeededUser {
	id: string;
	username: string;
	email: string | null;
	password: string;
	role: 'admin' | 'member';
}

/** A user with a unique name, `<name>@example.com` and TEST_PASSWORD unless told otherwise. */
export async function seedUser(
	db: Kysely<Database>,
	overrides: Partial<Omit<SeededUser, 'id'>> = {}
): Promise<SeededUser> {
	const username = overrides.username ?? `user-${randomBytes(4).toString('hex')}`;
	const user = {
		username,
		email: overrides.email === undefined ? `${username}@example.com` : overrides.email,
		password: overrides.password ?? TEST_PASSWORD,
		role: overrides.role ?? 'member'
	};
	const id = await createUser(testDeps(db), user);
	return { id, ...user };
}

/** The code in a sign-in email: the only line of the text body that is just digits. */
export function extractCode(mail: Pick<CapturedMail, 'text'>): string {
	const codes = [...mail.text.matchAll(/^[ \t]*(\d{6,10})[ \t\r]*$/gm)].map((match) => match[1]!);
	if (codes.length !== 1) {
		throw new Error(`Expected one code line in the email, found ${codes.length}:\n${mail.text}`);
	}
	return codes[0]!;
}

/** Matches the sign-in code email sent to `email`. */
export function isCodeMailTo(email: string): (mail: CapturedMail) => boolean {
	return (mail) => mail.subject === OTP_SUBJECT && mail.envelopeTo.includes(email);
}

/** The subject of the mail that proves a new two-factor address (templates.ts). */
export const NEW_ADDRESS_SUBJECT = 'Confirm this address for Admin sign-in codes';

/** Waits for the code that proves `email` as a new two-factor address. */
export async function waitForAddressCode(
	sink: SmtpSink,
	email: string,
	timeoutMs = 5000
): Promise<{ mail: CapturedMail; code: string }> {
	const mail = await sink.waitForMessage(
		(m) => m.subject === NEW_ADDRESS_SUBJECT && m.envelopeTo.includes(email),
		timeoutMs
	);
	return { mail, code: extractCode(mail) };
}

/** Waits for the next sign-in code email to `email` and returns it with its code. */
export async function waitForCode(
	sink: SmtpSink,
	email: string,
	timeoutMs = 5000
): Promise<{ mail: CapturedMail; code: string }> {
	const mail = await sink.waitForMessage(isCodeMailTo(email), timeoutMs);
	return { mail, code: extractCode(mail) };
}

export interface SetCookie {
	name: string;
	value: string;
	/** Attribute names lower-cased; flags such as HttpOnly map to ''. */
	attributes: Record<string, string>;
}

export function parseSetCookie(line: string): SetCookie {
	const [pair = '', ...parts] = line.split(';');
	const eq = pair.indexOf('=');
	const attributes: Record<string, string> = {};
	for (const part of parts) {
		const at = part.indexOf('=');
		const key = (at < 0 ? part : part.slice(0, at)).trim().toLowerCase();
		if (key) attributes[key] = at < 0 ? '' : part.slice(at + 1).trim();
	}
	return {
		name: pair.slice(0, eq).trim(),
		value: decodeURIComponent(pair.slice(eq + 1).trim()),
		attributes
	};
}

/** True when the cookie line tells the browser to drop the cookie. */
export function isCookieRemoval(cookie: SetCookie): boolean {
	const maxAge = cookie.attributes['max-age'];
	if (maxAge !== undefined && Number(maxAge) <= 0) return true;
	const expires = cookie.attributes['expires'];
	return cookie.value === '' || (expires !== undefined && Date.parse(expires) <= Date.now());
}

/** A minimal browser cookie store for one site: keeps, replaces and drops cookies by name. */
export class CookieJar {
	readonly cookies = new Map<string, string>();

	store(response: Response): void {
		for (const line of response.headers.getSetCookie()) {
			const cookie = parseSetCookie(line);
			if (isCookieRemoval(cookie)) this.cookies.delete(cookie.name);
			else this.cookies.set(cookie.name, cookie.value);
		}
	}

	get(name: string): string | undefined {
		return this.cookies.get(name);
	}

	set(name: string, value: string): void {
		this.cookies.set(name, value);
	}

	/** The Cookie request header, or undefined when the jar is empty. */
	header(): string | undefined {
		if (this.cookies.size === 0) return undefined;
		return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
	}
}

export interface TrpcCallOptions {
	input?: unknown;
	/** Sent as is; a jar adds its Cookie header and stores what comes back. */
	headers?: Record<string, string>;
	jar?: CookieJar;
}

export interface TrpcErrorBody {
	message: string;
	code: string;
	httpStatus: number;
	retryAfter?: number;
	/** Whatever else the server put in `error.data`, to check nothing leaks. */
	data: Record<string, unknown>;
}

export interface TrpcReply<T> {
	status: number;
	headers: Headers;
	setCookies: SetCookie[];
	/** The raw response body, for "does not contain" checks. */
	body: string;
	data?: T;
	error?: TrpcErrorBody;
}

/** A mutation as @trpc/client sends it unbatched: POST, JSON body, superjson. */
export function trpcMutation<T = unknown>(
	origin: string,
	path: string,
	options: TrpcCallOptions = {}
): Promise<TrpcReply<T>> {
	return callTrpc<T>(origin + '/trpc/' + path, 'POST', options);
}

/** A query: GET with the superjson input in the query string. */
export function trpcQuery<T = unknown>(
	origin: string,
	path: string,
	options: TrpcCallOptions = {}
): Promise<TrpcReply<T>> {
	const input =
		options.input === undefined
			? ''
			: '?input=' + encodeURIComponent(JSON.stringify(superjson.serialize(options.input)));
	return callTrpc<T>(origin + '/trpc/' + path + input, 'GET', options);
}

async function callTrpc<T>(
	url: string,
	method: 'GET' | 'POST',
	options: TrpcCallOptions
): Promise<TrpcReply<T>> {
	const headers: Record<string, string> = { ...options.headers };
	const cookie = options.jar?.header();
	if (cookie) headers.cookie = cookie;
	if (method === 'POST') headers['content-type'] ??= 'application/json';
	const response = await fetch(url, {
		method,
		headers,
		redirect: 'manual',
		...(method === 'POST' ? { body: JSON.stringify(superjson.serialize(options.input)) } : {})
	});
	options.jar?.store(response);
	const body = await response.text();
	const reply: TrpcReply<T> = {
		status: response.status,
		headers: response.headers,
		setCookies: response.headers.getSetCookie().map(parseSetCookie),
		body
	};
	const parsed = JSON.parse(body) as {
		result?: { data: Parameters<typeof superjson.deserialize>[0] };
		error?: Parameters<typeof superjson.deserialize>[0];
	};
	if (parsed.result) reply.data = superjson.deserialize<T>(parsed.result.data);
	if (parsed.error) {
		const error = superjson.deserialize<{ message: string; data: Record<string, unknown> }>(
			parsed.error
		);
		reply.error = {
			message: error.message,
			code: String(error.data.code),
			httpStatus: Number(error.data.httpStatus),
			...(typeof error.data.retryAfter === 'number' ? { retryAfter: error.data.retryAfter } : {}),
			data: error.data
		};
	}
	return reply;
}
