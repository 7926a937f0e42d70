// Skipping the second step: a session that passed the password step but not the code, by cookie
// and by bearer, against the production build. Every procedure of the router is tried (a new one
// is covered without anyone listing it), with an input it would accept, and every page is opened.
// The resources' procedures and pages take their inputs and addresses from the registry
// (tests/helpers/resource-calls.ts), aimed at a row of each resource.
import { readdirSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { maskEmail } from '$lib/server/mail';
import { appRouter } from '$lib/server/trpc/router';
import { describeProcedures, type ProcedureDoc } from '../../scripts/api-reference';
import { attackInput, attackValues, inputSchemaOf, noValidInput } from '../helpers/attack-inputs';
import { useAppStack } from '../helpers/app-stack';
import { ACTIVITY_STAMPS, readAllTables } from '../helpers/database-contents';
import { dialects } from '../../tools/databases';
import { signInOverHttp, startSignInOverHttp } from '../helpers/http-sign-in';
import { registeredResources, seedResourceRows, type CallTargets } from '../helpers/resource-calls';
import {
	CookieJar,
	seedUser,
	trpcMutation,
	trpcQuery,
	type SeededUser,
	type TrpcCallOptions,
	type TrpcReply
} from '../../tools/sign-in';

// DESIGN.md §4: what a pending session may call, besides what anyone may.
// Issue 17: the second step may also be a security key (options, then the key's answer).
const PENDING_MAY_CALL = [
	'auth.me',
	'auth.resendOtp',
	'auth.verifyOtp',
	'auth.webauthn.options',
	'auth.webauthn.verify',
	'auth.logout'
];
// What anyone may call, signed in or not.
const PUBLIC = [
	'auth.login',
	'auth.forgotPassword',
	'auth.passwordReset.describe',
	'auth.passwordReset.sendCode',
	'auth.passwordReset.securityKeyOptions',
	'auth.passwordReset.complete',
	'auth.passwordReset.completeWithSecurityKey',
	'dev.outbox',
	'emailChange.check',
	'emailChange.confirm',
	'emailChange.report',
	'health',
	'invitations.accept',
	'invitations.status',
	'setup.complete',
	'setup.status'
];

const procedures = describeProcedures(appRouter);
const reachable = procedures.filter((p) => p.tier === 'public' || p.tier === 'pending');
const refused = procedures.filter((p) => !reachable.includes(p));

// Pages, from the files that define them: `src/routes/(app)/users/[id]/+page.svelte` is
// `/users/[id]`. Pages of the (app) group must send a pending session to the code step; every
// other page is listed here with what it does for one.
const ROUTES_DIR = 'src/routes';
const pages = (readdirSync(ROUTES_DIR, { recursive: true }) as string[])
	.filter((file) => file.endsWith(`${sep}+page.svelte`) || file === '+page.svelte')
	.map((file) => {
		const segments = dirname(join(ROUTES_DIR, file)).split(sep).slice(2);
		return {
			route: '/' + segments.filter((s) => !/^\(.+\)$/.test(s)).join('/'),
			app: segments[0] === '(app)'
		};
	})
	.sort((a, b) => a.route.localeCompare(b.route));
const appPages = pages.filter((page) => page.app).map((page) => page.route);
// The form actions of those pages, from the modules SvelteKit loads for them.
const appActions = Object.entries(
	import.meta.glob<{ actions?: Record<string, unknown> }>('/src/routes/**/+page.server.ts', {
		eager: true
	})
)
	.filter(([file]) => file.startsWith('/src/routes/(app)/'))
	.flatMap(([file, module]) => {
		const route = '/' + file.split('/').slice(4, -1).join('/');
		return Object.keys(module.actions ?? {}).map((action) => ({ route, action }));
	});
const OTHER_PAGES: Record<string, { status: number; outcome: string }> = {
	'/login': { status: 303, outcome: '303 to /login/verify' },
	// The second step's own page: the only one a pending session sees.
	'/login/verify': { status: 200, outcome: '200 with the code form only' },
	// "Forgot password" is for anyone; a reset link (the victim id here: no link) says it is not valid.
	'/login/forgot': { status: 200, outcome: '200 with the form' },
	'/login/reset/[token]': { status: 200, outcome: '200 saying the link is not valid' },
	// Without a valid setup link, and in production with no outbox, these pages do not exist.
	'/setup': { status: 404, outcome: '404' },
	'/dev/outbox': { status: 404, outcome: '404 in production' },
	// The mailed links of an email change: without a live token, only a refusal or a button.
	'/email/confirm': { status: 200, outcome: '200 saying the link is not valid' },
	'/email/report': { status: 200, outcome: '200 with the report button only' },
	// Without a live invitation link: the page that says so, and nothing of the app.
	'/login/invite': { status: 200, outcome: '200 with "this link does not work"' }
};

describe.each(dialects)('a pending session on %s', (dialect) => {
	const stack = useAppStack(dialect);
	/**
	 * Signed in with a password only, one per transport (so a call that wrongly got through by
	 * cookie cannot end the bearer one): admins, so every admin-only door is worth trying.
	 */
	const attackers = {} as Record<'cookie' | 'bearer', SeededUser>;
	/** Fully signed in elsewhere; the attack inputs aim at this user and their session. */
	let victim: SeededUser;
	let values: Record<string, unknown>;
	/** A row of every resource, the victim's (references to users name them). */
	let targets: CallTargets;
	const pending = { cookie: new CookieJar(), bearer: '' };

	beforeAll(async () => {
		attackers.cookie = await seedUser(stack.database.db, { role: 'admin' });
		attackers.bearer = await seedUser(stack.database.db, { role: 'admin' });
		victim = await seedUser(stack.database.db);
		await signInOverHttp(stack.server.origin, stack.sink, victim, { transport: 'bearer' });
		const session = await stack.database.db
			.selectFrom('sessions')
			.select('public_id')
			.where('user_id', '=', victim.id)
			.executeTakeFirstOrThrow();
		values = attackValues({ id: victim.id, sessionPublicId: session.public_id });
		targets = await seedResourceRows(stack.database.db, victim.id);
		pending.cookie = (
			await startSignInOverHttp(stack.server.origin, stack.sink, attackers.cookie, {
				transport: 'cookie'
			})
		).jar;
		pending.bearer = (
			await startSignInOverHttp(stack.server.origin, stack.sink, attackers.bearer, {
				transport: 'bearer'
			})
		).pendingToken;
	});

	/** The database, less the activity stamps any authenticated request may move. */
	const contents = () => readAllTables(stack.database.db, { ignore: ACTIVITY_STAMPS });

	function call(
		procedure: ProcedureDoc,
		transport: 'cookie' | 'bearer'
	): Promise<TrpcReply<unknown>> {
		const byCookie = transport === 'cookie';
		const options: TrpcCallOptions = {
			input: attackInput(procedure, values, targets),
			// A browser adds its own Origin to POSTs; the cookie is what it would send anyway.
			headers: byCookie
				? { origin: stack.server.origin }
				: { authorization: `Bearer ${pending.bearer}` },
			jar: byCookie ? pending.cookie : undefined
		};
		return procedure.kind === 'query'
			? trpcQuery(stack.server.origin, procedure.path, options)
			: trpcMutation(stack.server.origin, procedure.path, options);
	}

	it('the procedures a pending session reaches are the public ones and auth.me, resendOtp, verifyOtp, webauthn.options/verify, logout [router meta agrees]', () => {
		expect(reachable.map((p) => p.path).sort()).toEqual([...PENDING_MAY_CALL, ...PUBLIC].sort());
		expect(refused.length).toBeGreaterThan(30);
	});

	it('every other procedure is called with an input it would accept [so only the tier stops it]', () => {
		for (const procedure of refused) {
			if (noValidInput.some((entry) => entry.path === procedure.path)) continue;
			const schema = inputSchemaOf(procedure.path);
			const input = attackInput(procedure, values, targets);
			if (schema) expect(schema.safeParse(input).error, procedure.path).toBeUndefined();
			else expect(input, procedure.path).toBeUndefined();
		}
	});

	describe.each(['cookie', 'bearer'] as const)('by %s', (transport) => {
		it.each(refused.map((p) => [p.path, p] as const))(
			`pending session by ${transport} calls %s [401 UNAUTHORIZED; nothing changes]`,
			async (_path, procedure) => {
				const before = await contents();
				const reply = await call(procedure, transport);
				expect(reply.status).toBe(401);
				expect(reply.error?.code).toBe('UNAUTHORIZED');
				expect(reply.data).toBeUndefined();
				expect(reply.setCookies).toEqual([]);
				expect(await contents()).toEqual(before);
			}
		);

		it(`pending session by ${transport} is still pending after every refusal [auth.me says pending_otp]`, async () => {
			const me = await call(
				procedures.find((p) => p.path === 'auth.me')!,
				transport
			);
			expect(me.data).toMatchObject({ session: { state: 'pending_otp' } });
		});

		it(`pending session by ${transport} asks auth.me [its state, expiry, masked address and methods only: no id, name, email or role]`, async () => {
			const attacker = attackers[transport];
			const me = await call(
				procedures.find((p) => p.path === 'auth.me')!,
				transport
			);
			expect(me.data).toEqual({
				session: { state: 'pending_otp', expiresAt: expect.any(Date) },
				email: maskEmail(attacker.email!),
				methods: ['email'],
				// No FACTOR_POLICY in this suite: nothing is required.
				factors: { required: [], enrolmentRequired: false }
			});
			for (const secret of [attacker.id, attacker.username, attacker.email!, '"admin"']) {
				expect(me.body).not.toContain(secret);
			}
		});
	});

	it('the page files are the (app) pages and the sign-in pages this file knows [every page below]', () => {
		expect(appPages.length).toBeGreaterThan(5);
		expect(pages.filter((page) => !page.app).map((page) => page.route)).toEqual(
			Object.keys(OTHER_PAGES).sort()
		);
	});

	/**
	 * The addresses of a page, its dynamic segments filled with real ids: a resource page once per
	 * registered resource, aimed at its row; any other page at the victim.
	 */
	const addressesOf = (route: string): string[] =>
		route.includes('[resource]')
			? registeredResources.map((resource) =>
					route
						.replace('[resource]', resource.path)
						.replace(/\[[^\]]+\]/g, targets.rows[resource.name]!.id)
				)
			: [route.replace(/\[[^\]]+\]/g, victim.id)];

	async function open(path: string): Promise<{ status: number; location: string; body: string }> {
		const response = await fetch(stack.server.origin + path, {
			headers: { cookie: pending.cookie.header()! },
			redirect: 'manual'
		});
		return {
			status: response.status,
			location: response.headers.get('location') ?? '',
			body: await response.text()
		};
	}

	/** What the pages would show about the victim, had the pending session got in. */
	const expectNoAppContent = (body: string) => {
		expect(body).not.toContain(victim.username);
		expect(body).not.toContain(victim.email!);
		expect(body).not.toContain(attackers.cookie.email!);
	};

	it.each(appPages)(
		'pending session by cookie opens %s [303 to /login/verify, no app content]',
		async (route) => {
			for (const path of addressesOf(route)) {
				const page = await open(path);
				expect(page.status, path).toBe(303);
				expect(page.location).toBe(`/login/verify?redirectTo=${encodeURIComponent(path)}`);
				expectNoAppContent(page.body);
			}
		}
	);

	it.each(appPages)(
		"pending session by cookie loads %s's data as client-side navigation does [redirect to /login/verify, no app content]",
		async (route) => {
			for (const path of addressesOf(route)) {
				const data = await open(`${path === '/' ? '' : path}/__data.json`);
				expect(data.status, path).toBe(200);
				expect(JSON.parse(data.body)).toEqual({
					type: 'redirect',
					location: `/login/verify?redirectTo=${encodeURIComponent(path)}`
				});
			}
		}
	);

	it('the (app) pages have form actions [each is posted below]', () => {
		expect(appActions.length).toBeGreaterThan(20);
	});

	/** Posts a page's form action at one of its addresses with the attack values as its fields. */
	async function postAction(path: string, action: string, accept: string): Promise<Response> {
		const fields = Object.entries(values).map(([name, value]) => [
			name,
			String(Array.isArray(value) ? value[0] : value)
		]);
		const query = action === 'default' ? '' : `?/${action}`;
		return fetch(`${stack.server.origin}${path}${query}`, {
			method: 'POST',
			headers: {
				cookie: pending.cookie.header()!,
				origin: stack.server.origin,
				accept,
				'content-type': 'application/x-www-form-urlencoded'
			},
			body: new URLSearchParams([...fields, ['confirm', String(values.next)]]),
			redirect: 'manual'
		});
	}

	const actionCases = appActions.map(({ route, action }) => [`${route}?/${action}`, route, action]);

	it.each(actionCases)(
		'pending session by cookie posts the form %s [303 to /login/verify; nothing changes]',
		async (_title, route, action) => {
			for (const path of addressesOf(route)) {
				const before = await contents();
				// What a plain <form> sends; the page's load runs after the action and redirects.
				const response = await postAction(path, action, 'text/html');
				expect(response.status, path).toBe(303);
				expect(response.headers.get('location')).toMatch(/^\/login\/verify\?redirectTo=/);
				expectNoAppContent(await response.text());
				expect(await contents()).toEqual(before);
			}
		}
	);

	it.each(actionCases)(
		'pending session by cookie posts the form %s as use:enhance does [redirect to /login/verify before the action runs; nothing changes]',
		async (_title, route, action) => {
			for (const path of addressesOf(route)) {
				const before = await contents();
				const response = await postAction(path, action, 'application/json');
				const result = (await response.json()) as {
					type: string;
					status: number;
					location?: string;
				};
				// Every action of a protected page starts with requireVerified, not only the procedure
				// it calls: a 401 failure here would mean the action ran for a pending session.
				expect(result.type, path).toBe('redirect');
				expect(result.location).toMatch(/^\/login\/verify\?/);
				expect(await contents()).toEqual(before);
			}
		}
	);

	it.each(Object.entries(OTHER_PAGES).map(([route, expected]) => [route, expected.outcome]))(
		'pending session by cookie opens %s [%s]',
		async (route) => {
			const page = await open(route);
			expect(page.status).toBe(OTHER_PAGES[route]!.status);
			if (page.status === 303) expect(page.location).toMatch(/^\/login\/verify(\?|$)/);
			expectNoAppContent(page.body);
		}
	);
});
