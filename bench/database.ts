// The benchmark's own database, thrown away afterwards: a temporary SQLite file, or a new MySQL
// database next to MYSQL_URL's. The server migrates it on start; the users are seeded here.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { hashPassword } from '../src/lib/server/auth/password';
import type { DatabaseDialect } from '../src/lib/server/config';
import { createDb } from '../src/lib/server/db/create-db';
import type { Insertable } from 'kysely';
import type { UsersTable } from '../src/lib/server/db/schema';
import { newId } from '../src/lib/server/ids';
import { seedFeatureFlags } from '../tools/feature-flags';

export interface BenchDatabase {
	url: string;
	drop(): Promise<void>;
}

export async function createBenchDatabase(
	dialect: DatabaseDialect,
	mysqlUrl: string | undefined
): Promise<BenchDatabase> {
	if (dialect === 'sqlite') {
		const dir = mkdtempSync(join(tmpdir(), 'admin-bench-'));
		return {
			url: `file:${join(dir, 'app.db')}`,
			drop: async () => rmSync(dir, { recursive: true, force: true })
		};
	}
	const server = new URL(mysqlUrl!);
	const name = `${server.pathname.slice(1) || 'bench'}_bench_${randomBytes(4).toString('hex')}`;
	server.pathname = '/';
	const admin = await createConnection({ uri: server.toString() });
	await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
	const url = new URL(server);
	url.pathname = `/${name}`;
	return {
		url: url.toString(),
		async drop() {
			await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
			await admin.end();
		}
	};
}

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
export async function seedUsers(url: string, members: number): Promise<void> {
	const { db } = createDb(url);
	try {
		const passwordHash = await hashPassword(BENCH_PASSWORD);
		const now = Date.now();
		const row = (
			user: SeededUser,
			role: 'admin' | 'member',
			i: number
		): Insertable<UsersTable> => ({
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
	} finally {
		await db.destroy();
	}
}

/** Owners the seeded flags go round: enough that a page of 100 names 100 different users. */
const FLAG_OWNERS = 100;

/**
 * `count` feature flags (the example resource), owned in turn by the first members, for the
 * list scenario: a page of 100 rows with one reference column to fill in.
 */
export async function seedFlags(url: string, count: number): Promise<void> {
	const { db } = createDb(url);
	try {
		const owners = await db
			.selectFrom('users')
			.select('id')
			.where('role', '=', 'member')
			.orderBy('username')
			.limit(FLAG_OWNERS)
			.execute();
		await seedFeatureFlags(db, { count, prefix: 'bench', owners: owners.map((row) => row.id) });
	} finally {
		await db.destroy();
	}
}
