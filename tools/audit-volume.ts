// A large, plausible audit log (npm run bench:audit, and the query-plan tests): users, and rows
// spread over a year in the order the app writes them (sign-ins mostly, some failures, admins
// acting on members). Batched multi-row inserts; a seeded generator gives the same mix every run.
import type { Insertable, Kysely } from 'kysely';
import type { AuditLogTable, Database, UsersTable } from '../src/lib/server/db/schema';
import { newId } from '../src/lib/server/ids';

const DAY = 24 * 60 * 60 * 1000;
// Rows per INSERT: 8 columns each stays far below both dialects' limit on bound parameters.
const BATCH = 1000;
const USER_AGENT =
	'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

export interface AuditVolume {
	/** A member whose history the run reads (about rows / users rows of it). */
	memberId: string;
	/** An admin who acted on members (about a twentieth of the log, shared among the admins). */
	adminId: string;
}

export interface AuditVolumeOptions {
	rows: number;
	users: number;
	/** One user in this many is an admin. */
	adminEvery?: number;
	days?: number;
	now?: number;
	onProgress?: (inserted: number) => void;
}

/** Inserts the users and `rows` audit rows; returns whose history and actions to read. */
export async function seedAuditVolume(
	db: Kysely<Database>,
	{ rows, users, adminEvery = 100, days = 365, now = Date.now(), onProgress }: AuditVolumeOptions
): Promise<AuditVolume> {
	const random = mulberry32(20261206);
	const userRows: Insertable<UsersTable>[] = Array.from({ length: users }, (_, i) => ({
		id: newId(),
		username: `volume-${String(i).padStart(6, '0')}`,
		email: `volume-${i}@example.com`,
		// Nobody signs in as these users: the benchmark calls procedures with a session it made up.
		password_hash: 'not a hash',
		role: i % adminEvery === 0 ? 'admin' : 'member',
		created_at: now - days * DAY,
		updated_at: now - days * DAY
	}));
	for (let start = 0; start < userRows.length; start += BATCH) {
		await db
			.insertInto('users')
			.values(userRows.slice(start, start + BATCH))
			.execute();
	}
	const admins = userRows.filter((user) => user.role === 'admin').map((user) => user.id);
	const members = userRows.filter((user) => user.role === 'member').map((user) => user.id);
	const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!;

	const start = now - days * DAY;
	const step = (days * DAY) / rows;
	let batch: Insertable<AuditLogTable>[] = [];
	for (let i = 0; i < rows; i++) {
		const user = pick(members);
		const entry = plausibleEntry(random(), user, () => pick(admins));
		batch.push({
			id: newId(),
			event: entry.event,
			actor_id: entry.actorId,
			subject_id: entry.subjectId,
			ip: `203.0.113.${Math.floor(random() * 254) + 1}`,
			user_agent: USER_AGENT,
			details: null,
			created_at: Math.floor(start + i * step)
		});
		if (batch.length === BATCH || i === rows - 1) {
			await db.insertInto('audit_log').values(batch).execute();
			batch = [];
			onProgress?.(i + 1);
		}
	}
	return { memberId: members[0]!, adminId: admins[0]! };
}

interface Entry {
	event: string;
	actorId: string | null;
	subjectId: string | null;
}

/** The mix a busy panel writes: a sign-in is three rows; admins act on members now and then. */
function plausibleEntry(roll: number, user: string, admin: () => string): Entry {
	if (roll < 0.28) return { event: 'otp.sent', actorId: null, subjectId: user };
	if (roll < 0.54) return { event: 'login.succeeded', actorId: null, subjectId: user };
	if (roll < 0.74) return { event: 'otp.verified', actorId: user, subjectId: user };
	if (roll < 0.8) return { event: 'login.failed', actorId: null, subjectId: user };
	if (roll < 0.82) return { event: 'login.failed', actorId: null, subjectId: null };
	if (roll < 0.86) return { event: 'otp.failed', actorId: null, subjectId: user };
	if (roll < 0.9) return { event: 'session.logout', actorId: user, subjectId: user };
	if (roll < 0.92) return { event: 'step_up.verified', actorId: user, subjectId: user };
	if (roll < 0.925) return { event: 'account.locked', actorId: null, subjectId: user };
	const adminEvents = [
		'user.updated',
		'session.revoked',
		'user.password_set',
		'account.unlocked',
		'backup_token.minted'
	];
	const event = adminEvents[Math.floor(((roll - 0.925) / 0.075) * adminEvents.length)]!;
	return { event, actorId: admin(), subjectId: user };
}

/** A small seeded PRNG: the same log every run. */
function mulberry32(seed: number): () => number {
	let state = seed;
	return () => {
		state = (state + 0x6d2b79f5) | 0;
		let t = Math.imul(state ^ (state >>> 15), 1 | state);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}
