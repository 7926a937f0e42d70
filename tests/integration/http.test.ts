// The production server (`npm start`: server/index.js over the build) over real HTTP, once per
// dialect.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type AppServer } from '../../tools/app-server';
import {
	createTestDatabase,
	dialects,
	mysqlBaseUrl,
	type TestDatabase
} from '../../tools/databases';

const execFileAsync = promisify(execFile);

describe.each(dialects)('the production build on %s', (dialect) => {
	let database: TestDatabase;
	let server: AppServer;

	beforeAll(async () => {
		database = await createTestDatabase(dialect);
		server = await startAppServer({ DATABASE_URL: database.url, MIGRATE_ON_START: 'true' });
	});
	afterAll(async () => {
		await server?.stop();
		await database?.drop();
	});

	const post = (path: string, headers: Record<string, string>, body = '{"json":null}') =>
		fetch(server.origin + path, { method: 'POST', headers, body });

	it('migrates on start when MIGRATE_ON_START=true', async () => {
		const tables = (await database.db.introspection.getTables()).map((table) => table.name);
		expect(tables).toEqual(expect.arrayContaining(['users', 'sessions']));
	});

	it('answers health over HTTP after a database round trip', async () => {
		const response = await fetch(`${server.origin}/trpc/health`);
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({
			result: { data: { json: { ok: true, database: dialect } } }
		});
	});

	it('sends anonymous visitors of the dashboard to the login page', async () => {
		const response = await fetch(server.origin + '/', { redirect: 'manual' });
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toBe('/login?redirectTo=%2F');
		expect((await fetch(server.origin + '/login')).status).toBe(200);
	});

	it('refuses a cross-origin JSON POST with 403', async () => {
		const response = await post('/trpc/health', {
			'content-type': 'application/json',
			origin: 'http://evil.test'
		});
		expect(response.status).toBe(403);
	});

	it('refuses a same-origin POST without a content type with 403', async () => {
		const response = await post('/trpc/health', { origin: server.origin });
		expect(response.status).toBe(403);
	});

	it('refuses a same-origin text/plain POST with 403', async () => {
		const response = await post('/trpc/health', {
			'content-type': 'text/plain',
			origin: server.origin
		});
		expect(response.status).toBe(403);
	});

	it('refuses a batch over the cap with 400', async () => {
		const paths = Array.from({ length: 11 }, () => 'health').join(',');
		const response = await fetch(`${server.origin}/trpc/${paths}?batch=1`);
		expect(response.status).toBe(400);
	});

	it('allows a batch at the cap', async () => {
		const paths = Array.from({ length: 10 }, () => 'health').join(',');
		const response = await fetch(`${server.origin}/trpc/${paths}?batch=1&input=%7B%7D`);
		expect(response.status).toBe(200);
		expect(await response.json()).toHaveLength(10);
	});

	it.each(['/login', '/trpc/health', '/no-such-page'])(
		'sends security headers on %s',
		async (path) => {
			const response = await fetch(server.origin + path);
			const csp = response.headers.get('content-security-policy') ?? '';
			expect(csp).toContain("frame-ancestors 'none'");
			expect(csp).toMatch(/object-src 'none'|default-src 'none'/);
			expect(csp).toContain("base-uri 'none'");
			expect(response.headers.get('x-content-type-options')).toBe('nosniff');
			expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
			// Served over plain http here, so no HSTS.
			expect(response.headers.get('strict-transport-security')).toBeNull();
		}
	);

	it('renders a 404 page for unknown addresses', async () => {
		const response = await fetch(server.origin + '/no-such-page');
		expect(response.status).toBe(404);
		expect(await response.text()).toContain('Page not found');
	});
});

describe('starting the production build', () => {
	let database: TestDatabase;
	beforeAll(async () => {
		database = await createTestDatabase('sqlite');
	});
	afterAll(() => database.drop());

	it('does not migrate unless MIGRATE_ON_START=true', async () => {
		const server = await startAppServer({ DATABASE_URL: database.url, MIGRATE_ON_START: '' });
		await server.stop();
		expect(await database.db.introspection.getTables()).toEqual([]);
	});

	it('stops with one line per bad variable', async () => {
		const failure = await startAppServer({
			DATABASE_URL: database.url,
			MAIL_TRANSPORT: '',
			OTP_TTL_SECONDS: 'soon'
		}).then(
			() => null,
			(error: Error) => error.message
		);
		expect(failure).toContain('server exited with code 1');
		expect(failure).toContain('SMTP_URL: required when NODE_ENV=production');
		expect(failure).toContain('OTP_TTL_SECONDS: expected a whole number of seconds');
	});

	it('does not outlive the process that started it when that process ends without stopping it', async () => {
		// A test worker or script that dies between start and stop() must not leave a server behind.
		const starter = `import('./tools/app-server.ts').then(async ({ startAppServer }) => {
			const server = await startAppServer({ DATABASE_URL: ${JSON.stringify(database.url)} });
			console.log('pid', server.pid);
			process.exit(0);
		});`;
		const { stdout } = await execFileAsync('node_modules/.bin/tsx', ['--eval', starter]);
		const pid = Number(/^pid (\d+)$/m.exec(stdout)?.[1]);
		expect(pid).toBeGreaterThan(0);
		const running = () => {
			try {
				process.kill(pid, 0);
				return true;
			} catch {
				return false;
			}
		};
		try {
			await expect.poll(running, { timeout: 5000 }).toBe(false);
		} finally {
			if (running()) process.kill(pid, 'SIGKILL');
		}
	});

	it('sends HSTS when its origin is https', async () => {
		const server = await startAppServer({
			DATABASE_URL: database.url,
			ORIGIN: 'https://admin.example.com'
		});
		try {
			const response = await fetch(server.origin + '/trpc/health');
			expect(response.headers.get('strict-transport-security')).toContain('max-age=');
		} finally {
			await server.stop();
		}
	});
});

describe.runIf(mysqlBaseUrl())('a database failure over HTTP', () => {
	let server: AppServer;
	beforeAll(async () => {
		const url = new URL(mysqlBaseUrl()!);
		url.pathname = '/no_such_database_for_admin_tests';
		server = await startAppServer({ DATABASE_URL: url.toString(), MIGRATE_ON_START: 'false' });
	});
	afterAll(() => server?.stop());

	it('reaches the client as a generic 500, the driver message only in the log', async () => {
		const response = await fetch(`${server.origin}/trpc/health`);
		const text = await response.text();
		expect(response.status).toBe(500);
		expect(JSON.parse(text).error.json.message).toBe('Internal server error');
		expect(text).not.toMatch(/no_such_database|Unknown database|stack/i);
		await expect.poll(() => server.output()).toMatch(/Unknown database/);
	});

	it('still serves the login page, which needs no database until a form is sent', async () => {
		const response = await fetch(server.origin + '/login');
		expect(response.status).toBe(200);
	});
});
