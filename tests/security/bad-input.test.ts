// Bad input to every procedure of the router (enumerated, so a new procedure is covered), sent by
// a caller that passes the procedure's tier so the input check itself is what answers: wrong
// types, empty values, 10 KB and 1 MB strings, full-width digits, SQL metacharacters and unknown
// keys. Each must be a 400 whose field errors name the field, and must change no row anywhere.
// SQL metacharacters inside otherwise valid strings must simply work. The resources' procedures
// (resources.<name>.*) get their well-formed and bad inputs from each definition
// (tests/helpers/resource-calls.ts): out-of-range, overlong and mistyped values per field kind,
// unknown sort and filter names, bad ids, references to rows that do not exist, taken values.
import type { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatError } from '$lib/server/trpc/errors';
import { errorOf, procedureAt, useApiHarness } from '../helpers/api-harness';
import { dialects } from '../../tools/databases';
import { snapshotDatabase } from '../helpers/database-contents';
import { seedUser } from '../../tools/sign-in';
import { routerProcedures, signInForEveryTier } from '../helpers/tier-callers';
import {
	badResourceInputs,
	NOBODY_ID,
	registeredResources,
	resourceCalls,
	seedResourceRows,
	type CallTargets
} from '../helpers/resource-calls';
import { SHAPED_ASSERTION, SHAPED_ATTESTATION } from '../helpers/security-keys';

const ID = 'aaaaaaaaaaaaaaaa'; // well-formed, belongs to nobody
const KB10 = 'a'.repeat(10 * 1024);
const MB1 = 'p'.repeat(1024 * 1024);
const FULL_WIDTH_DIGITS = '１２３４５６';
/** A reset link's token of the right shape that no link has. */
const RESET_TOKEN = 'A'.repeat(43);
const SQL = [`' OR 1=1 --`, `"; DROP TABLE users; --`];

/**
 * A well-formed input per procedure, so one bad field at a time is what gets refused. The
 * resources' procedures are not listed: their inputs come from the definitions.
 */
const WELL_FORMED: Record<string, Record<string, unknown>> = {
	'account.changePassword': { current: 'current password', next: 'a new long password' },
	'account.forgetDevice': { publicId: ID },
	'account.changeEmail': { email: 'new@example.com' },
	'apiTokens.create': { name: 'ci', scopes: ['read'], expiresInDays: 30 },
	'apiTokens.listFor': { userId: ID },
	'apiTokens.revoke': { id: ID },
	'apiTokens.revokeFor': { id: ID },
	'audit.list': { event: 'user.created', userId: ID, from: new Date(0), to: new Date() },
	'auth.login': { username: 'nobody', password: 'wrong password', tokenType: 'bearer' },
	'auth.forgotPassword': { login: 'nobody' },
	'auth.passwordReset.describe': { token: RESET_TOKEN },
	'auth.passwordReset.sendCode': { token: RESET_TOKEN },
	'auth.passwordReset.securityKeyOptions': { token: RESET_TOKEN },
	'auth.passwordReset.complete': {
		token: RESET_TOKEN,
		password: 'a long enough password',
		code: '123456',
		method: 'totp'
	},
	'auth.passwordReset.completeWithSecurityKey': {
		token: RESET_TOKEN,
		password: 'a long enough password',
		response: SHAPED_ASSERTION
	},
	'auth.stepUp.verify': { code: '123456', method: 'totp' },
	'auth.webauthn.stepUpVerify': { response: SHAPED_ASSERTION },
	'auth.webauthn.verify': { response: SHAPED_ASSERTION, rememberDevice: true },
	'auth.verifyOtp': { code: '123456', method: 'totp', rememberDevice: true },
	'backupTokens.countFor': { userId: ID },
	'backupTokens.generateFor': { userId: ID, count: 5 },
	'backupTokens.generateMine': { count: 5 },
	'backupTokens.revokeFor': { userId: ID },
	'securityKeys.register': { name: 'key', response: SHAPED_ATTESTATION },
	'securityKeys.remove': { id: ID },
	'securityKeys.rename': { id: ID, name: 'key' },
	'sessions.all': { userId: ID, page: 1, pageSize: 10 },
	'sessions.revoke': { publicId: ID },
	'setup.complete': {
		token: 'no-such-token',
		username: 'first-admin',
		email: 'first@example.com',
		password: 'a long enough password'
	},
	'setup.status': { token: 'no-such-token' },
	'emailChange.check': { token: 'no-such-token' },
	'emailChange.confirm': { token: 'no-such-token' },
	'emailChange.report': { token: 'no-such-token' },
	'invitations.status': { token: 'no-such-token' },
	'invitations.accept': { token: 'no-such-token', password: 'a long enough password' },
	'totp.confirm': { enrolmentId: ID, code: '123456' },
	'twoFactor.clearEmailFor': { userId: ID },
	'twoFactor.confirmEmail': { code: '123456' },
	'twoFactor.requestEmail': { email: 'new@example.com' },
	'twoFactor.requestEmailFor': { userId: ID, email: 'new@example.com' },
	'users.create': {
		username: 'new-user',
		email: 'new@example.com',
		role: 'member',
		password: 'a long enough password'
	},
	'users.delete': { id: ID },
	'users.invite': { username: 'new-user', email: 'new@example.com', role: 'member' },
	'users.resendInvitation': { id: ID },
	'users.revokeInvitation': { id: ID },
	'users.factors': { id: ID },
	'users.resetFactors': { id: ID, kinds: ['totp', 'webauthn'] },
	'users.find': { name: 'nobody' },
	'users.get': { id: ID },
	'users.history': { id: ID, page: 1 },
	'users.list': { search: 'a', role: 'member', sort: 'email', page: 1, pageSize: 10 },
	'users.setActive': { ids: [ID], active: false },
	'users.setPassword': { id: ID, password: 'a long enough password' },
	'users.sendPasswordReset': { id: ID },
	'users.setRole': { id: ID, role: 'member' },
	'users.unlock': { id: ID },
	'users.cancelEmailChange': { id: ID },
	'users.updateProfile': { id: ID, username: 'renamed', email: 'renamed@example.com' }
};

// Hand-written bad values per kind of field. Every string field has a limit well under 10 KB.
const NOT_A_STRING = [42, true, [], ['a'], {}, { value: 'a' }];
const NOT_A_NUMBER = ['abc', '', {}, [], FULL_WIDTH_DIGITS, KB10];
const BAD_VALUES = {
	id: [...NOT_A_STRING, null, '', 'ABC', FULL_WIDTH_DIGITS, ...SQL, 'a'.repeat(33), KB10],
	code: [...NOT_A_STRING, null, '', '   ', FULL_WIDTH_DIGITS, ...SQL, '1'.repeat(33), KB10],
	username: [...NOT_A_STRING, null, '', 'ab', FULL_WIDTH_DIGITS, ...SQL, 'a'.repeat(65), KB10],
	/** The name typed at login: any text up to 254 characters (unknown and odd names alike). */
	loginName: [...NOT_A_STRING, null, '', '   ', 'a'.repeat(255), KB10, MB1],
	email: [
		...NOT_A_STRING,
		null,
		'',
		'not-an-email',
		`${FULL_WIDTH_DIGITS}@example.com`,
		...SQL,
		'a@example.com\r\nBcc: b@example.com',
		`${'a'.repeat(250)}@example.com`,
		KB10
	],
	/** A user's email, which may be removed (null). */
	optionalEmail: [...NOT_A_STRING, '', 'not-an-email', ...SQL, `${'a'.repeat(250)}@x.io`, KB10],
	/** A password being checked: anything up to 256 characters. */
	password: [...NOT_A_STRING, null, '', 'a'.repeat(257), MB1],
	newPassword: [...NOT_A_STRING, null, '', 'short', 'a'.repeat(257), MB1],
	setupToken: [...NOT_A_STRING, null, '', 'a'.repeat(129), KB10],
	/** Free text with a limit: a name, a search, an event filter. */
	text: [...NOT_A_STRING, null, KB10, MB1],
	choice: [...NOT_A_STRING, null, '', 'ADMIN', 'root', FULL_WIDTH_DIGITS, ...SQL, KB10],
	/** Whole numbers in a range, also sent as strings from query strings. */
	count: [...NOT_A_NUMBER, null, -1, 0, 1.5, 1e308, Infinity, NaN, 1_000_000],
	/** Days until an API token expires, or null for never. */
	days: [...NOT_A_NUMBER, '30', -1, 0, 1.5, 1e308, Infinity, NaN, 1_000_000],
	flag: ['yes', 'TRUE', 1, 0, null, [], {}, FULL_WIDTH_DIGITS, KB10],
	date: ['not a date', '', {}, [], NaN, 1e308, FULL_WIDTH_DIGITS, KB10],
	ids: ['a', null, {}, [], [42], [null], ['ABC'], [SQL[0]], [KB10], Array(101).fill(ID)],
	/** The factor kinds a reset names: some of a fixed few, each once. */
	factorKinds: [
		'totp',
		null,
		{},
		[],
		[42],
		[null],
		['email'],
		['TOTP'],
		[SQL[0]],
		[KB10],
		['totp', 'totp'],
		['totp', 'webauthn', 'totp']
	],
	// A security key's answer: the right shape with one part wrong or oversized.
	webauthnResponse: [
		...NOT_A_STRING,
		null,
		KB10,
		{ ...SHAPED_ASSERTION, type: 'password' },
		{ ...SHAPED_ASSERTION, id: 'not base64url!' },
		{ ...SHAPED_ASSERTION, id: 'A'.repeat(1365) },
		{ ...SHAPED_ASSERTION, response: { ...SHAPED_ASSERTION.response, clientDataJSON: KB10 } },
		{ ...SHAPED_ASSERTION, response: { ...SHAPED_ASSERTION.response, signature: SQL[0] } },
		{ ...SHAPED_ASSERTION, response: { ...SHAPED_ASSERTION.response, isAdmin: true } },
		{ ...SHAPED_ASSERTION, clientExtensionResults: null }
	],
	scopes: [
		null,
		'read',
		[],
		['read', 'write', 'admin'],
		['READ'],
		['*'],
		['featureFlags.*'],
		['featureFlags.read '],
		[KB10],
		Array(201).fill('read'),
		{}
	]
} satisfies Record<string, unknown[]>;

type FieldKind = keyof typeof BAD_VALUES;

/** The kind of each input field by name; `<path>.<field>` where one name means two things. */
const FIELD_KINDS: Record<string, FieldKind> = {
	id: 'id',
	userId: 'id',
	publicId: 'id',
	enrolmentId: 'id',
	ids: 'ids',
	kinds: 'factorKinds',
	code: 'code',
	username: 'username',
	'auth.login.username': 'loginName',
	login: 'loginName',
	email: 'email',
	'users.updateProfile.email': 'optionalEmail',
	password: 'newPassword',
	'auth.login.password': 'password',
	current: 'password',
	next: 'newPassword',
	token: 'setupToken',
	name: 'text',
	search: 'text',
	event: 'text',
	role: 'choice',
	resource: 'choice',
	sort: 'choice',
	direction: 'choice',
	tokenType: 'choice',
	method: 'choice',
	page: 'count',
	pageSize: 'count',
	count: 'count',
	expiresInDays: 'days',
	active: 'flag',
	locked: 'flag',
	emailConfirmed: 'flag',
	revokeApiTokens: 'flag',
	rememberDevice: 'flag',
	from: 'date',
	to: 'date',
	scopes: 'scopes',
	response: 'webauthnResponse'
};

/** Keys nobody may set through the API: mass assignment and prototype pollution. */
const UNKNOWN_KEYS: Record<string, unknown>[] = [
	{ isAdmin: true },
	{ password_hash: 'x', user_id: ID, locked_at: null },
	JSON.parse('{"__proto__": {"role": "admin"}}')
];

interface BadInput {
	label: string;
	input: unknown;
	/** The field the field errors must name; absent for a wrong input as a whole. */
	field?: string;
	/** The message, when it is not 'Invalid input'. */
	message?: RegExp;
}

const { calls: resourceProcedureCalls } = resourceCalls();

/** Every bad input for one procedure: the whole input wrong, then one field at a time. */
function badInputsFor(
	procedure: ReturnType<typeof routerProcedures>[number],
	targets: CallTargets
): BadInput[] {
	const takesNone = procedure.fields.length === 0;
	const resourceCall = resourceProcedureCalls.find((call) => call.path === procedure.path);
	const base = resourceCall
		? (resourceCall.input(targets) as Record<string, unknown>)
		: (WELL_FORMED[procedure.path] ?? {});
	const whole: unknown[] = ['x', 42, true, [], [base], KB10];
	if (!takesNone && procedure.input?.safeParse(undefined).success === false) whole.push(null);
	if (procedure.requiredFields.length > 0) whole.push({});
	const inputs: BadInput[] = whole.map((input) => ({ label: show(input), input }));
	for (const extra of UNKNOWN_KEYS) {
		inputs.push({ label: `extra keys ${show(extra)}`, input: { ...base, ...extra } });
	}
	if (procedure.path.startsWith('resources.')) {
		// Options without a reference field, action without actions: no input is well-formed.
		if (!resourceCall) return inputs;
		const generated = badResourceInputs(resourceCall, targets).map((bad) => ({
			...bad,
			field: bad.field || undefined
		}));
		const uncovered = procedure.fields.filter((f) => !generated.some((bad) => bad.field === f));
		if (uncovered.length > 0) {
			throw new Error(
				`${procedure.path}.${uncovered.join(', ')}: add bad values to tests/helpers/resource-calls.ts`
			);
		}
		return [...inputs, ...generated];
	}
	for (const field of procedure.fields) {
		const kind = FIELD_KINDS[`${procedure.path}.${field}`] ?? FIELD_KINDS[field];
		if (!kind) throw new Error(`${procedure.path}.${field}: add its kind to FIELD_KINDS`);
		for (const value of BAD_VALUES[kind]) {
			inputs.push({ label: `${field}: ${show(value)}`, input: { ...base, [field]: value }, field });
		}
	}
	return inputs;
}

function show(value: unknown): string {
	if (typeof value === 'string' && value.length > 40) return `'${value[0]}' x ${value.length}`;
	if (Array.isArray(value) && value.length > 5) return `array of ${value.length}`;
	const text = typeof value === 'number' ? String(value) : JSON.stringify(value);
	return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

/** What an HTTP client would see of the error (the same formatter the handle uses). */
function clientView(error: TRPCError) {
	const shape = {
		message: error.message,
		code: -32600 as const,
		data: { code: error.code, httpStatus: getHTTPStatusCodeFromError(error) }
	};
	return formatError({ shape, error });
}

describe.each(dialects)('bad input on %s', (dialect) => {
	const api = useApiHarness(dialect);
	let callers: Awaited<ReturnType<typeof signInForEveryTier>>;
	/** A row of every resource the resources' inputs aim at. */
	let targets: CallTargets;

	beforeAll(async () => {
		callers = await signInForEveryTier(api);
		targets = await seedResourceRows(api.db, callers.admin.id);
	});

	describe('every procedure, called by a caller that passes its tier', () => {
		const procedures = routerProcedures();

		it('every input field has a kind of bad values [a new field fails here until it has one]', () => {
			for (const procedure of procedures) {
				expect(() => badInputsFor(procedure, targets)).not.toThrow();
			}
		});

		it.each(procedures.map((procedure) => [procedure.path, procedure] as const))(
			'%s: wrong types, empty, 10 KB and 1 MB strings, full-width digits, SQL metacharacters, unknown keys [400 naming the field; no row changes]',
			async (_path, procedure) => {
				const call = procedureAt(callers.forTier(procedure.tier), procedure.path);
				const before = await snapshotDatabase(api.db);
				for (const bad of badInputsFor(procedure, targets)) {
					const error = await errorOf(call(bad.input));
					const seen = clientView(error);
					expect(error.code, bad.label).toBe('BAD_REQUEST');
					expect(seen.message, bad.label).toMatch(bad.message ?? /^Invalid input$/);
					expect(seen.data.fieldErrors, bad.label).not.toBeNull();
					if (bad.field) {
						expect(seen.data.fieldErrors!.fieldErrors[bad.field], bad.label).not.toHaveLength(0);
					}
					expect(await snapshotDatabase(api.db), bad.label).toBe(before);
				}
			}
		);
	});

	describe('SQL metacharacters inside valid strings', () => {
		it("users.list searching for ' OR 1=1 -- and a DROP TABLE [an ordinary search: no match, no row changes]", async () => {
			const quoted = await seedUser(api.db, { email: `o'brien-${Date.now()}@example.com` });
			const admin = callers.forTier('admin');
			const before = await snapshotDatabase(api.db);
			for (const search of SQL) {
				expect(await admin.users.list({ search })).toMatchObject({ users: [], total: 0 });
			}
			// A quote is just a character: the user whose address has one is found by it.
			const found = await admin.users.list({ search: "o'brien" });
			expect(found.users.map((user) => user.id)).toEqual([quoted.id]);
			expect(await snapshotDatabase(api.db)).toBe(before);
		});

		it('apiTokens.create named "; DROP TABLE users; -- [stored verbatim; users untouched]', async () => {
			const admin = callers.forTier('step-up');
			const users = await api.db.selectFrom('users').selectAll().orderBy('id').execute();
			const name = SQL[1]!;
			const created = await admin.apiTokens.create({ name, scopes: ['read'], expiresInDays: 1 });
			expect(created.apiToken.name).toBe(name);
			expect((await admin.apiTokens.list()).map((token) => token.name)).toContain(name);
			expect(await api.db.selectFrom('users').selectAll().orderBy('id').execute()).toEqual(users);
		});

		it("auth.login as ' OR 1=1 -- with password ' OR '1'='1 [401 like any unknown user; no session, no user changed]", async () => {
			const tables = ['users', 'sessions', 'email_otps', 'backup_tokens', 'api_tokens'];
			const before = await snapshotDatabase(api.db, { tables });
			const error = await errorOf(
				callers.forTier('public').auth.login({ username: SQL[0]!, password: `' OR '1'='1` })
			);
			expect(error.code).toBe('UNAUTHORIZED');
			expect(await snapshotDatabase(api.db, { tables })).toBe(before);
		});
	});

	describe('well-formed input that names nobody', () => {
		/** Every row a resource call aims at is one that does not exist, and so is the user. */
		const nobody = (): CallTargets => ({
			rows: Object.fromEntries(
				registeredResources.map((resource) => [resource.name, { id: NOBODY_ID, version: 1 }])
			),
			values: {},
			userId: NOBODY_ID
		});

		// Mutations that name a row (or, creating, a referenced one) must be refused; queries may
		// answer with nothing.
		const namesSomething = resourceProcedureCalls.filter(
			(call) =>
				call.kind === 'mutation' &&
				(call.procedure !== 'create' ||
					Object.values(call.resource.fields).some((field) => field.kind === 'reference'))
		);

		it.each(resourceProcedureCalls.map((call) => [call.label, call] as const))(
			'%s aimed at rows and users that do not exist [an answer or a 4xx, never 500]',
			async (_label, call) => {
				const caller = callers.forTier('verified');
				const outcome = await procedureAt(
					caller,
					call.path
				)(call.input(nobody())).then(
					() => 'OK',
					(error: unknown) => (error as TRPCError).code
				);
				expect(outcome).not.toBe('INTERNAL_SERVER_ERROR');
			}
		);

		it.each(namesSomething.map((call) => [call.label, call] as const))(
			'%s aimed at a row or reference that does not exist [400, 404 or 409; no row changes]',
			async (_label, call) => {
				const caller = callers.forTier('verified');
				const before = await snapshotDatabase(api.db);
				const error = await errorOf(procedureAt(caller, call.path)(call.input(nobody())));
				expect(['BAD_REQUEST', 'NOT_FOUND', 'CONFLICT'], error.message).toContain(error.code);
				expect(await snapshotDatabase(api.db)).toBe(before);
			}
		);

		// Last in the file: these calls may succeed and change rows (creating `new-user`, say).
		it.each(Object.keys(WELL_FORMED))(
			'%s with ids and tokens of nobody [an answer or a 4xx, never 500]',
			async (path) => {
				const procedure = routerProcedures().find((candidate) => candidate.path === path)!;
				const call = procedureAt(callers.forTier(procedure.tier), path);
				const outcome = await call(WELL_FORMED[path]).then(
					() => 'OK',
					(error: unknown) => (error as TRPCError).code
				);
				expect(outcome).not.toBe('INTERNAL_SERVER_ERROR');
			}
		);
	});
});
