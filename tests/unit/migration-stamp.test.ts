// A new migration's file name must sort after every existing one, or Kysely refuses to apply it
// on a database that ran the later ones (and a fresh database would run it too early).
import { describe, expect, it } from 'vitest';
import { nextMigrationStamp } from '../../scripts/migration-stamp';

const NOW = new Date('2026-12-07T02:45:10.500Z');

describe('the stamp of a new migration', () => {
	it('is the current UTC time when every migration is older', () => {
		expect(nextMigrationStamp(['20261129120000_users.ts', 'README.md'], NOW)).toBe(
			'20261207024510'
		);
		expect(nextMigrationStamp([], NOW)).toBe('20261207024510');
	});

	it('is one second after the latest when a migration is dated after the clock', () => {
		const files = ['20261207130000_feature_flags.ts', '20261129120000_users.ts', 'README.md'];
		expect(nextMigrationStamp(files, NOW)).toBe('20261207130001');
		expect(nextMigrationStamp(['20261231235959_x.ts'], NOW)).toBe('20270101000000');
	});
});
