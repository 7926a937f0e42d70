// Security headers on every answer of the production server, static files included: adapter-node
// serves /_app/immutable/*, /favicon.svg and /_app/version.json before the app's hooks run, so a
// sniffed, framed or script-running static file would have had none. HSTS exactly when the app
// itself sees https (ORIGIN, or PROTOCOL_HEADER behind a proxy). And the entry that adds them
// keeps adapter-node's graceful shutdown.
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type AppServer } from '../../tools/app-server';
import { useAppStack } from '../helpers/app-stack';
import { dialects } from '../../tools/databases';

const LOCKED_DOWN = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/** A built JavaScript file under /_app/immutable (its name changes with every build). */
function immutableFile(): string {
	const name = readdirSync('build/client/_app/immutable/entry').find((file) =>
		file.endsWith('.js')
	);
	if (!name) throw new Error('no built entry under build/client/_app/immutable/entry');
	return `/_app/immutable/entry/${name}`;
}

/** What each path is, for the titles and the CSP expected on it. */
const STATIC = ['/_app/version.json', '/favicon.svg', '<immutable>', '/_app/immutable/no-such.js'];
const APP = ['/login', '/trpc/health', '/no-such-page'];
const PAGES = ['/login', '/no-such-page'];
const pathOf = (path: string) => (path === '<immutable>' ? immutableFile() : path);

function expectSecurityHeaders(response: Response, path: string): void {
	const headers = response.headers;
	expect(headers.get('x-content-type-options'), path).toBe('nosniff');
	expect(headers.get('x-frame-options'), path).toBe('DENY');
	expect(headers.get('referrer-policy'), path).toBe('strict-origin-when-cross-origin');
	expect(headers.get('cross-origin-opener-policy'), path).toBe('same-origin');
	const csp = headers.get('content-security-policy') ?? '';
	if (PAGES.includes(path)) {
		// A page (the 404 page too): its own policy from kit.csp, as strict about framing.
		expect(csp, path).toContain("frame-ancestors 'none'");
		expect(csp, path).toContain("object-src 'none'");
	} else {
		expect(csp, path).toBe(LOCKED_DOWN);
	}
}

describe.each(dialects)('security headers from the production server on %s', (dialect) => {
	const stack = useAppStack(dialect);

	async function get(server: AppServer, path: string, headers: Record<string, string> = {}) {
		const response = await fetch(server.origin + pathOf(path), { headers, redirect: 'manual' });
		await response.arrayBuffer();
		return response;
	}

	it(`static files ${STATIC.join(', ')} (an /_app/immutable file and a 404 under /_app), plain and brotli [nosniff, X-Frame-Options DENY, Referrer-Policy, COOP, CSP default-src 'none'; no HSTS over http]`, async () => {
		for (const path of STATIC) {
			for (const encoding of ['identity', 'br']) {
				const response = await get(stack.server, path, { 'accept-encoding': encoding });
				expect(response.status, path).toBe(path.includes('no-such') ? 404 : 200);
				expectSecurityHeaders(response, path);
				expect(response.headers.get('strict-transport-security'), path).toBeNull();
			}
		}
	});

	it("an /_app/immutable file [keeps adapter-node's long cache: public, immutable]", async () => {
		const response = await get(stack.server, '<immutable>');
		expect(response.headers.get('cache-control')).toBe('public,max-age=31536000,immutable');
	});

	it(`app answers ${APP.join(', ')} [the same headers; the page keeps its own CSP; no HSTS over http]`, async () => {
		for (const path of APP) {
			const response = await get(stack.server, path);
			expectSecurityHeaders(response, path);
			expect(response.headers.get('strict-transport-security'), path).toBeNull();
		}
	});

	describe('HSTS', () => {
		let httpsOrigin: AppServer;
		let behindProxy: AppServer;

		beforeAll(async () => {
			const env = { DATABASE_URL: stack.database.url, MIGRATE_ON_START: 'false' };
			// Both listen on plain http, as behind a proxy that terminates TLS.
			[httpsOrigin, behindProxy] = await Promise.all([
				startAppServer({ ...env, ORIGIN: 'https://admin.example.test' }),
				startAppServer({ ...env, ORIGIN: undefined, PROTOCOL_HEADER: 'x-forwarded-proto' })
			]);
		});
		afterAll(async () => {
			await Promise.all([httpsOrigin?.stop(), behindProxy?.stop()]);
		});

		it(`ORIGIN=https://... on ${[...STATIC, ...APP].join(', ')} [Strict-Transport-Security on every answer]`, async () => {
			for (const path of [...STATIC, ...APP]) {
				const response = await get(httpsOrigin, path);
				expectSecurityHeaders(response, path);
				expect(response.headers.get('strict-transport-security'), path).toBe(
					'max-age=31536000; includeSubDomains'
				);
			}
		});

		it('PROTOCOL_HEADER=x-forwarded-proto and the proxy says https [HSTS on static files and app answers]; says http [none]', async () => {
			for (const path of [...STATIC, ...APP]) {
				const https = await get(behindProxy, path, { 'x-forwarded-proto': 'https' });
				expect(https.headers.get('strict-transport-security'), path).toContain('max-age=');
				const http = await get(behindProxy, path, { 'x-forwarded-proto': 'http' });
				expectSecurityHeaders(http, path);
				expect(http.headers.get('strict-transport-security'), path).toBeNull();
			}
		});
	});

	it('SIGTERM after the database was used [the server stops within 5 s, exit code 0: the graceful shutdown ran]', async () => {
		const server = await startAppServer({
			DATABASE_URL: stack.database.url,
			MIGRATE_ON_START: 'false'
		});
		expect(server.output()).toContain('Listening on');
		expect((await get(server, '/trpc/health')).status).toBe(200);
		const started = Date.now();
		await server.stop();
		expect(Date.now() - started).toBeLessThan(5000);
		// Killed by the signal itself would be { code: null, signal: 'SIGTERM' }; a pool left open by
		// a missed sveltekit:shutdown would keep the process alive past the limit.
		expect(server.exitStatus()).toEqual({ code: 0, signal: null });
	});
});
