import { hash, verify, type Options } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { ServerBusyError } from '../errors';

// OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane. `algorithm: 2` is Argon2id (the
// package exports it as a const enum, which isolated-module builds cannot import).
const ARGON2ID: Options = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 };

/**
 * Hashes that run at once. Hashing runs on libuv's thread pool; bounding it keeps a login storm
 * from queueing every other piece of file or crypto work behind it, and bounds argon2's memory
 * (19 MiB per running hash).
 */
export const MAX_CONCURRENT_HASHES = Math.max(1, availableParallelism() - 1);

/**
 * Hashes that may wait for a slot; one more is refused at once with ServerBusyError. A hash takes
 * roughly 15-50 ms, so 32 waiting per slot means a password check waits at most about a second
 * before it starts: longer than that, an immediate "busy, retry in a second" serves the person
 * better, and a flood of wrong logins can neither pile up memory nor make every sign-in slow.
 */
export const MAX_WAITING_HASHES = 32 * MAX_CONCURRENT_HASHES;

/** What a busy answer asks the client to wait: about the time a full queue takes to drain. */
const BUSY_RETRY_AFTER_SECONDS = 1;

let running = 0;
const waiting: Array<() => void> = [];

async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
	if (running < MAX_CONCURRENT_HASHES) running++;
	else if (waiting.length >= MAX_WAITING_HASHES)
		throw new ServerBusyError(BUSY_RETRY_AFTER_SECONDS);
	else await new Promise<void>((go) => waiting.push(go)); // the slot is handed over as is
	try {
		return await work();
	} finally {
		const next = waiting.shift();
		if (next) next();
		else running--;
	}
}

/** Throws ServerBusyError, without hashing, when too many hashes are already waiting. */
export function hashPassword(password: string): Promise<string> {
	return withHashSlot(() => hash(password, ARGON2ID));
}

let dummyHash: Promise<string> | undefined;

/** The hash unknown users are checked against, made once (made again if making it failed). */
function getDummyHash(): Promise<string> {
	dummyHash ??= hashPassword('dummy password for unknown users').catch((error: unknown) => {
		// A busy answer on the very first login must not poison every later one.
		dummyHash = undefined;
		throw error;
	});
	return dummyHash;
}

/**
 * Marks a hash that no password can match: an invited person's until they choose one (Django's
 * `set_unusable_password`). No argon2 hash starts with `!`; the random rest keeps two such
 * values from ever being equal.
 */
const UNUSABLE_PREFIX = '!';

/** A stored "hash" for an account without a password: never verifies, whatever is typed. */
export function unusablePasswordHash(): string {
	return UNUSABLE_PREFIX + randomBytes(30).toString('base64url');
}

export function isUsablePasswordHash(storedHash: string | null): storedHash is string {
	return storedHash !== null && !storedHash.startsWith(UNUSABLE_PREFIX);
}

/**
 * Checks a password against a stored hash. Without a usable hash (unknown user, or an invited one
 * who has no password yet) it verifies against a dummy one, so every case takes the same time and
 * gives the same answer. Throws ServerBusyError, without checking anything, when too many hashes
 * are already waiting: that is no failed guess.
 */
export async function verifyPassword(
	storedHash: string | null,
	password: string
): Promise<boolean> {
	const usable = isUsablePasswordHash(storedHash);
	const target = usable ? storedHash : await getDummyHash();
	const ok = await withHashSlot(() => verify(target, password).catch(() => false));
	return ok && usable;
}
