import { hash, verify, type Options } from '@node-rs/argon2';
import { availableParallelism } from 'node:os';

// OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane. `algorithm: 2` is Argon2id (the
// package exports it as a const enum, which isolated-module builds cannot import).
const ARGON2ID: Options = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 };

// Hashing runs on libuv's thread pool; bounding it keeps a login storm from queueing every
// other piece of file or crypto work behind it.
const MAX_CONCURRENT_HASHES = Math.max(1, availableParallelism() - 1);
let running = 0;
const waiting: Array<() => void> = [];

async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
	if (running < MAX_CONCURRENT_HASHES) running++;
	else await new Promise<void>((go) => waiting.push(go)); // the slot is handed over as is
	try {
		return await work();
	} finally {
		const next = waiting.shift();
		if (next) next();
		else running--;
	}
}

export function hashPassword(password: string): Promise<string> {
	return withHashSlot(() => hash(password, ARGON2ID));
}

let dummyHash: Promise<string> | undefined;

/**
 * Checks a password against a stored hash. Without a hash (unknown user) it verifies against a
 * dummy one, so both cases take the same time and give the same answer.
 */
export async function verifyPassword(
	storedHash: string | null,
	password: string
): Promise<boolean> {
	dummyHash ??= hashPassword('dummy password for unknown users');
	const target = storedHash ?? (await dummyHash);
	const ok = await withHashSlot(() => verify(target, password).catch(() => false));
	return ok && storedHash !== null;
}
