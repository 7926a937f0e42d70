// Account enumeration at the password step, against the production build over HTTP: whether the
// name is unknown, the password wrong, the account locked or deactivated, the answer (status,
// code, body) and its timing must be the same, or an attacker learns which accounts exist.
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '$lib/server/auth/password';
import { newId } from '$lib/server/ids';
import { startAppServer, type AppServer } from '../../tools/app-server';
import { createMigratedDatabase, dialects, type TestDatabase } from '../../tools/databases';
import { postForm } from '../helpers/form-post';
import { TEST_PASSWORD } from '../../tools/sign-in';

type Kind = 'unknown user' | 'wrong password' | 'locked account' | 'deactivated account';
const KINDS: Kind[] = ['unknown user', 'wrong password', 'locked account', 'deactivated account'];
// Names of one length (`nobody-007`), so pages that echo the name are of one length too.
const NAME_PREFIX: Record<Kind, string> = {
	'unknown user': 'nobody',
	'wrong password': 'member',
	'locked account': 'locked',
	'deactivated account': 'former'
};

const SAMPLES = 200;
const WARM_UP = 5;
const MAX_MEDIAN_GAP_MS = 10;
// The second-step lock: 100 wrong codes (policy.otp.lockAfterFailures).
const LOCK_AFTER_FAILURES = 100;

interface Attempt {
	username: string;
	password: string;
}

/** Everything about an answer an attacker can see, bar the Date header. */
interface Answer {
	status: number;
	headers: string;
	body: string;
}

describe.each(dialects)('account enumeration at the password step on %s', (dialect) => {
	let database: TestDatabase;
	let server: AppServer;
	// Each attempt uses a name of its own and comes from an address of its own, so no login
	// limit (per name and address, per address, per account) ever answers instead of the check.
	const attempts = new Map<Kind, Attempt[]>();
	let nextAddress = 1;

	beforeAll(async () => {
		database = await createMigratedDatabase(dialect);
		// The timed run, its warm-up, and three attempts for the answer checks.
		const needed = SAMPLES + WARM_UP + 3;
		// argon2 is slow on purpose: one hash, stored for every seeded account.
		const hash = await hashPassword(TEST_PASSWORD);
		const now = Date.now();
		for (const kind of KINDS) {
			const names = Array.from(
				{ length: needed },
				(_, i) => `${NAME_PREFIX[kind]}-${String(i).padStart(3, '0')}`
			);
			attempts.set(
				kind,
				names.map((username) => ({
					username,
					// The locked and deactivated owners know their password: even then nothing tells.
					password: kind === 'wrong password' ? 'not the password at all' : TEST_PASSWORD
				}))
			);
			if (kind === 'unknown user') continue;
			const rows = names.map((username) => ({
				id: newId(),
				username,
				email: `${username}@example.com`,
				password_hash: hash,
				role: 'member' as const,
				created_at: now,
				updated_at: now,
				is_active: kind === 'deactivated account' ? (0 as const) : (1 as const),
				otp_failures: kind === 'locked account' ? LOCK_AFTER_FAILURES : 0,
				locked_at: kind === 'locked account' ? now : null
			}));
			for (let at = 0; at < rows.length; at += 100) {
				await database.db
					.insertInto('users')
					.values(rows.slice(at, at + 100))
					.execute();
			}
		}
		server = await startAppServer({
			DATABASE_URL: database.url,
			// adapter-node's trusted-proxy setting: the client address is the last X-Forwarded-For
			// entry, which lets one test process speak from many addresses.
			ADDRESS_HEADER: 'x-forwarded-for',
			XFF_DEPTH: '1'
		});
	});
	afterAll(async () => {
		await server?.stop();
		await database?.drop();
	});

	function take(kind: Kind): Attempt {
		const attempt = attempts.get(kind)!.shift();
		if (!attempt) throw new Error(`no ${kind} attempt left`);
		return attempt;
	}

	function freshAddress(): string {
		const n = nextAddress++;
		return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
	}

	function answerOf(response: Response, body: string): Answer {
		const headers = [...response.headers]
			.filter(([name]) => name !== 'date')
			.map(([name, value]) => `${name}: ${value}`)
			.join('\n');
		return { status: response.status, headers, body };
	}

	/** auth.login over HTTP, as @trpc/client sends it unbatched. */
	async function apiLogin(attempt: Attempt): Promise<Answer> {
		const response = await fetch(`${server.origin}/trpc/auth.login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-forwarded-for': freshAddress() },
			body: JSON.stringify({ json: attempt })
		});
		return answerOf(response, await response.text());
	}

	/** The /login form without JavaScript: a urlencoded POST answered with the page. */
	async function formLogin(attempt: Attempt, extraHeaders: Record<string, string> = {}) {
		const response = await postForm(
			server.origin,
			'/login',
			{ ...attempt },
			{
				headers: { 'x-forwarded-for': freshAddress(), ...extraHeaders }
			}
		);
		const body = await response.text();
		// The page shows the name back in its field, and every page carries fresh CSP nonces (so
		// a fresh ETag): the only parts allowed to differ.
		const nonces = (text: string) =>
			text.replace(/nonce-[A-Za-z0-9+/=]+/g, 'nonce-<n>').replace(/nonce="[^"]*"/g, 'nonce="<n>"');
		const answer = answerOf(response, nonces(body.replaceAll(attempt.username, '<username>')));
		answer.headers = nonces(answer.headers).replace(/^etag: .*$/m, 'etag: <hash of the page>');
		return answer;
	}

	it('unknown user, wrong password, locked and deactivated account call auth.login [same 401 UNAUTHORIZED, byte-identical body and headers]', async () => {
		const answers = new Map<Kind, Answer>();
		for (const kind of KINDS) answers.set(kind, await apiLogin(take(kind)));

		const reference = answers.get('unknown user')!;
		expect(reference.status).toBe(401);
		expect(JSON.parse(reference.body)).toMatchObject({
			error: { json: { data: { code: 'UNAUTHORIZED', httpStatus: 401 } } }
		});
		for (const kind of KINDS) expect(answers.get(kind), kind).toEqual(reference);
	});

	it('the same four through the /login form, without and with JavaScript [same status and page, bar the echoed name]', async () => {
		const pages = new Map<Kind, Answer>();
		const enhanced = new Map<Kind, Answer>();
		for (const kind of KINDS) {
			pages.set(kind, await formLogin(take(kind)));
			// What `use:enhance` sends: the action's result as JSON instead of the page.
			enhanced.set(
				kind,
				await formLogin(take(kind), { accept: 'application/json', 'x-sveltekit-action': 'true' })
			);
		}

		const page = pages.get('unknown user')!;
		expect(page.status).toBe(401);
		expect(page.body).toContain('<username>');
		const json = enhanced.get('unknown user')!;
		expect(JSON.parse(json.body)).toMatchObject({ type: 'failure', status: 401 });
		for (const kind of KINDS) {
			expect(pages.get(kind), kind).toEqual(page);
			expect(enhanced.get(kind), kind).toEqual(json);
		}
	});

	it(`${SAMPLES} interleaved logins of each kind [median time difference between any two kinds under ${MAX_MEDIAN_GAP_MS} ms]`, async () => {
		// Warm up first: the dummy hash for unknown names is computed on first use.
		for (let i = 0; i < WARM_UP; i++) for (const kind of KINDS) await apiLogin(take(kind));

		// One round times each kind once, starting one further each round, so machine noise
		// (other processes, the database, garbage collection) hits every kind alike.
		const rounds: Array<Record<Kind, number>> = [];
		for (let round = 0; round < SAMPLES; round++) {
			const times = {} as Record<Kind, number>;
			for (let k = 0; k < KINDS.length; k++) {
				const kind = KINDS[(round + k) % KINDS.length]!;
				const attempt = take(kind);
				const started = performance.now();
				const answer = await apiLogin(attempt);
				times[kind] = performance.now() - started;
				expect(answer.status).toBe(401);
			}
			rounds.push(times);
		}

		const medians = KINDS.map((kind) => median(rounds.map((times) => times[kind])));
		console.log(
			`[enumeration] ${dialect}: median login time (ms) over ${SAMPLES} each: ` +
				KINDS.map((kind, i) => `${kind} ${medians[i]!.toFixed(1)}`).join(', ')
		);
		// Compared within rounds: load that changes over seconds shifts both sides of a pair.
		for (const [a, b] of pairs(KINDS)) {
			const difference = median(rounds.map((times) => times[a] - times[b]));
			expect(Math.abs(difference), `${a} - ${b}: ${difference.toFixed(1)} ms`).toBeLessThan(
				MAX_MEDIAN_GAP_MS
			);
		}
	}, 150_000);
});

function pairs<T>(items: T[]): Array<[T, T]> {
	return items.flatMap((a, i) => items.slice(i + 1).map((b): [T, T] => [a, b]));
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = sorted.length >> 1;
	return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
