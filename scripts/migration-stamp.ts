// The UTC timestamp a new migration's file name starts with. Migrations run in file-name order,
// and Kysely refuses to apply one that sorts before a migration a database has already run, so a
// new file must sort after every existing one: now, or one second after the latest stamp when a
// migration is dated later than the clock (a teammate's clock ahead, or a template's own files).
import { readdirSync } from 'node:fs';

const STAMP = /^(\d{14})_/;

/** `YYYYMMDDHHMMSS` in UTC. */
function formatStamp(date: Date): string {
	return date.toISOString().replace(/\D/g, '').slice(0, 14);
}

function parseStamp(stamp: string): Date {
	const [, y, mo, d, h, mi, s] = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(stamp)!;
	return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
}

/** The stamp for a new migration beside `files` (names in migrations/). */
export function nextMigrationStamp(files: readonly string[], now = new Date()): string {
	const latest = files
		.map((file) => STAMP.exec(file)?.[1])
		.filter((stamp): stamp is string => stamp !== undefined)
		.sort()
		.at(-1);
	const stamp = formatStamp(now);
	if (!latest || stamp > latest) return stamp;
	return formatStamp(new Date(parseStamp(latest).getTime() + 1000));
}

/** The stamp for a new migration in `dir`. */
export function nextMigrationStampIn(dir: string, now = new Date()): string {
	return nextMigrationStamp(readdirSync(dir), now);
}
