import { describe, expect, it } from 'vitest';
import { guardTrpcRequest, type TrpcGuardOptions } from '$lib/server/security/trpc-guard';

const APP = 'https://admin.example.com';
const options: TrpcGuardOptions = {
	prefix: '/trpc',
	maxBatchSize: 10,
	procedureKind: (path) => ({ 'things.list': 'query', 'things.add': 'mutation' })[path] as never
};

function check(path: string, init: RequestInit & { headers?: Record<string, string> } = {}) {
	const url = new URL(path, APP);
	return guardTrpcRequest(new Request(url, init), url, options);
}

const sameOriginJson = { 'content-type': 'application/json', origin: APP };

describe('state-changing requests a browser could send', () => {
	it('pass with JSON and the app origin', () => {
		expect(check('/trpc/things.add', { method: 'POST', headers: sameOriginJson })).toBeNull();
	});

	it('pass with JSON and Sec-Fetch-Site: same-origin when no Origin is sent', () => {
		const headers = { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' };
		expect(check('/trpc/things.add', { method: 'POST', headers })).toBeNull();
	});

	it('accept a charset parameter on the JSON content type', () => {
		const headers = { ...sameOriginJson, 'content-type': 'application/json; charset=utf-8' };
		expect(check('/trpc/things.add', { method: 'POST', headers })).toBeNull();
	});

	it.each([
		['a foreign Origin', { 'content-type': 'application/json', origin: 'https://evil.test' }],
		['text/plain', { 'content-type': 'text/plain', origin: APP }],
		['no content type', { origin: APP }],
		['a form', { 'content-type': 'application/x-www-form-urlencoded', origin: APP }],
		['Sec-Fetch-Site: cross-site', { ...sameOriginJson, 'sec-fetch-site': 'cross-site' }],
		[
			'Sec-Fetch-Site: same-site',
			{ 'content-type': 'application/json', 'sec-fetch-site': 'same-site' }
		],
		[
			'a session cookie and no Origin',
			{ 'content-type': 'application/json', cookie: 'session=abc' }
		],
		[
			'a __Host- session cookie and no Origin',
			{ 'content-type': 'application/json', cookie: 'a=1; __Host-session=abc' }
		],
		[
			'the "null" Origin of a sandboxed frame',
			{ 'content-type': 'application/json', origin: 'null' }
		]
	])('are refused with 403 when they carry %s', async (_name, headers) => {
		const response = check('/trpc/things.add', { method: 'POST', headers });
		expect(response?.status).toBe(403);
		const body = await response!.json();
		expect(body.error.json.data.code).toBe('FORBIDDEN');
	});
});

describe('tools without browser headers', () => {
	it('pass with a bearer token and no Origin, cookie or Sec-Fetch-Site', () => {
		const headers = { authorization: 'Bearer abc', 'content-type': 'application/json' };
		expect(check('/trpc/things.add', { method: 'POST', headers })).toBeNull();
	});

	it('are not mistaken for browsers by an unrelated cookie', () => {
		const headers = { cookie: 'theme=dark', 'content-type': 'application/json' };
		expect(check('/trpc/things.add', { method: 'POST', headers })).toBeNull();
	});
});

describe('batches', () => {
	const paths = (n: number) => Array.from({ length: n }, () => 'things.list').join(',');

	it('allow up to the cap', () => {
		expect(check(`/trpc/${paths(10)}?batch=1`)).toBeNull();
	});

	it('are refused with 400 past the cap', async () => {
		const response = check(`/trpc/${paths(11)}?batch=1`);
		expect(response?.status).toBe(400);
		expect((await response!.json()).error.json.data.code).toBe('BAD_REQUEST');
	});

	it('count the calls after percent-decoding, as tRPC does: %2C joins calls too', async () => {
		const encoded = Array.from({ length: 11 }, () => 'things.list').join('%2C');
		expect(check(`/trpc/${encoded}?batch=1`)?.status).toBe(400);
		expect(check(`/trpc/${encoded.replace(/%2C/g, '%2c')}?batch=0`)?.status).toBe(400);
		expect(check(`/trpc/things.list%2Cthings.list?batch=1`)).toBeNull();
	});

	it("refuse a path that is not valid percent-encoding with 400 in tRPC's format", async () => {
		const response = check('/trpc/things.list%E0%A4%A?batch=1');
		expect(response?.status).toBe(400);
		expect((await response!.json()).error.json.data.code).toBe('BAD_REQUEST');
	});

	it("leave a single call's path as it is, as tRPC does (it never decodes it)", () => {
		expect(check(`/trpc/things.list%2Cthings.list`)).toBeNull();
		expect(check(`/trpc/things.list%`)).toBeNull();
	});

	it('answer a refused batch with one error per call, as tRPC clients expect', async () => {
		const headers = { 'content-type': 'text/plain', origin: APP };
		const response = check(`/trpc/things.add,things.add?batch=1`, { method: 'POST', headers });
		const body = await response!.json();
		expect(body).toHaveLength(2);
		expect(body[1].error.json.data.code).toBe('FORBIDDEN');
	});
});

describe('methods', () => {
	it('GET never reaches a mutation', () => {
		expect(check('/trpc/things.add')?.status).toBe(405);
		expect(check('/trpc/things.list,things.add?batch=1')?.status).toBe(405);
	});

	it('GET never reaches a mutation whose name is percent-encoded in a batch', () => {
		expect(check('/trpc/things.list%2Cthings.add?batch=1')?.status).toBe(405);
		expect(check('/trpc/things.list,things%2Eadd?batch=1')?.status).toBe(405);
		expect(check('/trpc/%74hings.add?batch=1')?.status).toBe(405);
	});

	it('GET reaches queries', () => {
		expect(check('/trpc/things.list')).toBeNull();
	});

	it.each(['PUT', 'DELETE', 'PATCH', 'OPTIONS'])('%s is refused with 405', (method) => {
		expect(check('/trpc/things.add', { method })?.status).toBe(405);
	});
});

describe('scope', () => {
	it('leaves everything outside the tRPC prefix to SvelteKit', () => {
		expect(
			check('/login', { method: 'POST', headers: { origin: 'https://evil.test' } })
		).toBeNull();
		expect(check('/trpcx/things.add', { method: 'POST' })).toBeNull();
	});
});
