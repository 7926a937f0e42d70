// What `npm start` reads before it starts anything (server/start.js, server/node-settings.js):
// WEB_CONCURRENCY and SHUTDOWN_TIMEOUT, and which of the server's Node settings a process lacks.
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { missingSettings, SERVER_ENV, SERVER_NODE_FLAGS } from '../../server/node-settings.js';
import { MAX_WEB_CONCURRENCY, readServerSettings } from '../../server/start.js';

describe('WEB_CONCURRENCY and SHUTDOWN_TIMEOUT', () => {
	it('default to one worker per core and adapter-node 30 s', () => {
		expect(readServerSettings({})).toEqual({
			workers: Math.min(availableParallelism(), MAX_WEB_CONCURRENCY),
			shutdownTimeoutSeconds: 30
		});
		expect(readServerSettings({ WEB_CONCURRENCY: '', SHUTDOWN_TIMEOUT: ' ' })).toEqual(
			readServerSettings({})
		);
	});

	it('take whole numbers: 1 to the maximum workers, 0 or more seconds', () => {
		expect(readServerSettings({ WEB_CONCURRENCY: '1', SHUTDOWN_TIMEOUT: '0' })).toEqual({
			workers: 1,
			shutdownTimeoutSeconds: 0
		});
		expect(readServerSettings({ WEB_CONCURRENCY: ` ${MAX_WEB_CONCURRENCY} ` })).toMatchObject({
			workers: MAX_WEB_CONCURRENCY
		});
	});

	it.each(['0', '-1', '2.5', 'four', '1e2', String(MAX_WEB_CONCURRENCY + 1)])(
		'WEB_CONCURRENCY=%s is refused with the value and the range',
		(value) => {
			expect(readServerSettings({ WEB_CONCURRENCY: value })).toBe(
				`WEB_CONCURRENCY: expected a whole number of worker processes from 1 to` +
					` ${MAX_WEB_CONCURRENCY}, got "${value}"`
			);
		}
	);

	it('SHUTDOWN_TIMEOUT=ten is refused (adapter-node would read it as no grace at all), with WEB_CONCURRENCY in the same message', () => {
		const message = readServerSettings({ WEB_CONCURRENCY: 'x', SHUTDOWN_TIMEOUT: 'ten' });
		expect(message).toContain('WEB_CONCURRENCY: expected');
		expect(message).toContain('SHUTDOWN_TIMEOUT: expected a whole number of seconds, got "ten"');
	});

	it('under socket activation (LISTEN_FDS) run one process, and refuse more', () => {
		expect(readServerSettings({ LISTEN_FDS: '1' })).toMatchObject({ workers: 1 });
		expect(readServerSettings({ LISTEN_FDS: '1', WEB_CONCURRENCY: '2' })).toBe(
			'WEB_CONCURRENCY: socket activation (LISTEN_FDS) works with one process only'
		);
	});
});

describe("the server's Node settings", () => {
	it('are all missing from a bare `node`', () => {
		expect(missingSettings([], {})).toEqual({ flags: [...SERVER_NODE_FLAGS], env: SERVER_ENV });
	});

	it('leave a flag the command line or NODE_OPTIONS names as the user set it, however spelled', () => {
		const [first, ...rest] = SERVER_NODE_FLAGS;
		const name = first!.split('=')[0]!;
		const underscored = `--${name.slice(2).replaceAll('-', '_')}=1`;
		expect(missingSettings([`${name}=1`], {}).flags).toEqual(rest);
		expect(missingSettings([], { NODE_OPTIONS: `--no-warnings ${underscored}` }).flags).toEqual(
			rest
		);
	});

	it('leave an environment variable that is set, even empty', () => {
		const names = Object.keys(SERVER_ENV);
		const env = Object.fromEntries(names.map((name) => [name, '']));
		expect(missingSettings(SERVER_NODE_FLAGS, env)).toEqual({ flags: [], env: {} });
	});
});
