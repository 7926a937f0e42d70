// The guard and tRPC handles exactly as hooks.server.ts chains them, driven in-process with a
// router that has a mutation with a visible side effect, so "never runs" can be observed.
import type { Handle, RequestEvent } from '@sveltejs/kit';
import { createTRPCHandle } from 'trpc-sveltekit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createGuardHandle } from '$lib/server/security/guard-handle';
import { createContextInner } from '$lib/server/trpc/context';
import { publicProcedure, router } from '$lib/server/trpc/init';
import { logTrpcError } from '$lib/server/trpc/log';
import { procedureKindOf } from '$lib/server/trpc/procedure-kind';
import { createTestDatabase, type TestDatabase } from '../../tools/databases';

const ORIGIN = 'http://app.test';
let mutations = 0;

const testRouter = router({
	count: publicProcedure.query(() => mutations),
	bump: publicProcedure.mutation(() => ++mutations),
	rename: publicProcedure
		.input(z.object({ name: z.string().min(2) }))
		.mutation(({ input }) => input.name),
	explode: publicProcedure.query(() => {
		throw new Error('ER_ACCESS_DENIED_ERROR: Access denied for user app@10.0.0.7 (password: YES)');
	})
});

let database: TestDatabase;
let guard: Handle;
let trpc: Handle;

beforeAll(async () => {
	database = await createTestDatabase('sqlite');
	guard = createGuardHandle({
		prefix: '/trpc',
		maxBatchSize: 10,
		procedureKind: (path) => procedureKindOf(testRouter, path),
		pageActions: async () => null
	});
	trpc = createTRPCHandle({
		router: testRouter,
		url: '/trpc',
		createContext: async () =>
			createContextInner({ db: database.db, dialect: 'sqlite', mailer: {} as never }),
		onError: logTrpcError
	});
});

afterAll(() => database.drop());

function fakeEvent(request: Request): RequestEvent {
	return {
		request,
		url: new URL(request.url),
		locals: { user: null, session: null },
		params: {},
		route: { id: null },
		cookies: { get: () => undefined, getAll: () => [], set() {}, delete() {}, serialize: () => '' },
		setHeaders() {},
		getClientAddress: () => '127.0.0.1',
		isDataRequest: false,
		isSubRequest: false
	} as unknown as RequestEvent;
}

async function send(path: string, init: RequestInit = {}): Promise<Response> {
	const request = new Request(new URL(path, ORIGIN), init);
	// What sequence(guard, trpc) does, without SvelteKit's request store.
	const page = async () => new Response('page');
	return guard({
		event: fakeEvent(request),
		resolve: (event) => Promise.resolve(trpc({ event, resolve: page }))
	});
}

const json = (body: unknown) => JSON.stringify({ json: body });

describe('the guard stops refused calls before the procedure runs', () => {
	it('runs a same-origin JSON mutation', async () => {
		const before = mutations;
		const response = await send('/trpc/bump', {
			method: 'POST',
			headers: { 'content-type': 'application/json', origin: ORIGIN },
			body: json(null)
		});
		expect(response.status).toBe(200);
		expect(mutations).toBe(before + 1);
	});

	it.each([
		['cross-origin JSON', { 'content-type': 'application/json', origin: 'http://evil.test' }],
		['no content type', { origin: ORIGIN }],
		['text/plain', { 'content-type': 'text/plain', origin: ORIGIN }]
	])('refuses %s with 403 and the mutation never runs', async (_name, headers) => {
		const before = mutations;
		const response = await send('/trpc/bump', { method: 'POST', headers, body: json(null) });
		expect(response.status).toBe(403);
		expect(mutations).toBe(before);
	});

	it('refuses a batch over the cap with 400 and runs none of it', async () => {
		const before = mutations;
		const paths = Array.from({ length: 11 }, () => 'bump').join(',');
		const response = await send(`/trpc/${paths}?batch=1`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', origin: ORIGIN },
			body: JSON.stringify(Object.fromEntries(paths.split(',').map((_, i) => [i, { json: null }])))
		});
		expect(response.status).toBe(400);
		expect(mutations).toBe(before);
	});

	it('never runs a mutation for GET', async () => {
		const before = mutations;
		const response = await send('/trpc/bump');
		expect(response.status).toBe(405);
		expect(mutations).toBe(before);
	});
});

describe('errors sent to clients', () => {
	it('never carry an internal error message or a stack trace', async () => {
		const response = await send('/trpc/explode');
		const text = await response.text();
		expect(response.status).toBe(500);
		expect(text).not.toMatch(/ER_ACCESS_DENIED|10\.0\.0\.7|stack|at /);
		expect(JSON.parse(text).error.json.message).toBe('Internal server error');
	});

	it('carry zod input errors as field errors', async () => {
		const response = await send('/trpc/rename', {
			method: 'POST',
			headers: { 'content-type': 'application/json', origin: ORIGIN },
			body: json({ name: 'x' })
		});
		const error = (await response.json()).error.json;
		expect(response.status).toBe(400);
		expect(error.message).toBe('Invalid input');
		expect(error.data.fieldErrors.fieldErrors.name).toHaveLength(1);
		expect(JSON.stringify(error)).not.toContain('stack');
	});

	it('carry the security headers on /trpc responses too', async () => {
		const response = await send('/trpc/count');
		expect(response.headers.get('x-content-type-options')).toBe('nosniff');
		expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
		expect(response.headers.get('referrer-policy')).toBeTruthy();
	});
});
