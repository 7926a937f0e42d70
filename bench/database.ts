// The benchmark's users. Its database is tools/databases.ts's throw-away one (labelled `bench`);
// the server migrates it on start, and the users are seeded here.
import type { Insertable, Kysely } from 'kysely';
import { hashPassword } from '../src/lib/server/auth/password';
import type { Database, UsersTable } from '../src/lib/server/db/schema';
import { newId } from '../src/lib/server/ids';
import { seedFeatureFlags } from '../tools/feature-flags';

export const BENCH_PASSWORD = 'bench password that is long enough';
export const ADMIN_USERNAME = 'bench-admin';

export interface SeededUser {
	username: string;
	email: string;
}

/** `n`th member (0-based): fixed names, so the load generator can pick users without a query. */
export function memberAt(n: number): SeededUser {
	const username = `bench-user-${String(n).padStart(5, '0')}`;
	return { username, email: `${username}@example.com` };
}

const BATCH = 500;

/**
 * One admin and `members` members, all with BENCH_PASSWORD. The password is hashed once and the
 * hash reused (argon2 salts each hash, but the server only ever verifies it), in batched inserts.
 */
export async function seedUsers(db: Kysely<Database>, members: number): Promise<void> {
	const passwordHash = await hashPassword(BENCH_PASSWORD);
	const now = Date.now();
	const row = (user: SeededUser, role: 'admin' | 'member', i: number): Insertable<UsersTable> => ({
		id: newId(),
		username: user.username,
		email: user.email,
		password_hash: passwordHash,
		role,
		// Distinct creation times, as in a real table (one of the sort orders uses them).
		created_at: now - i * 1000,
		updated_at: now
	});
	await db
		.insertInto('users')
		.values(row({ username: ADMIN_USERNAME, email: `${ADMIN_USERNAME}@example.com` }, 'admin', 0))
		.execute();
	for (let start = 0; start < members; start += BATCH) {
		const end = Math.min(start + BATCH, members);
		const rows = [];
		for (let i = start; i < end; i++) rows.push(row(memberAt(i), 'member', i + 1));
		await db.insertInto('users').values(rows).execute();
	}
}

/** Owners the seeded flags go round: enough that a page of 100 names 100 different users. */
const FLAG_OWNERS = 100;

/**
 * `count` feature flags (the example resource), owned in turn by the first members, for the
 * list scenario: a page of 100 rows with one reference column to fill in.
 */
export async function seedFlags(db: Kysely<Database>, count: number): Promise<void> {
	const owners = await db
		.selectFrom('users')
		.select('id')
		.where('role', '=', 'member')
		.orderBy('username')
		.limit(FLAG_OWNERS)
		.execute();
	await seedFeatureFlags(db, { count, prefix: 'bench', owners: owners.map((row) => row.id) });
}
