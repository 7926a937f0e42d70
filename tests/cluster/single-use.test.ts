// Two app instances, one on each node of a two-node Galera cluster. Galera is multi-primary: both
// nodes accept a conditional write at once and both report "1 row"; the loser learns only at
// COMMIT, with a deadlock error. Every rule that rests on "one conditional write decides" must
// therefore count only a committed transaction: these tests race the same code, the same backup
// token and the same limits across the two nodes.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getPolicy } from '$lib/server/auth/policy';
import { getConfig } from '$lib/server/config';
import { insertBackupTokens } from '$lib/server/auth/backup-tokens';
import { queueMail } from '$lib/server/mail/queue';
import { startAppServer, type AppServer } from '../../tools/app-server';
import { createClusterDatabase, type ClusterDatabase } from '../../tools/galera';
import {
	seedUser,
	trpcMutation,
	waitForCode,
	type SeededUser,
	type TrpcReply
} from '../../tools/sign-in';
import { startSmtpSink, type SmtpSink } from '../../tools/smtp-sink';

const nodes = inject('galeraUrls');
const policy = getPolicy();
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const outcome = (reply: TrpcReply<unknown>) => reply.error?.code ?? reply.status;
/** A code of the right length that is not `code`. */
const wrongCode = (code: string) => (code[0] === '1' ? '2' : '1').repeat(code.length);

describe.runIf(nodes.length === 2)('two instances on a two-node Galera cluster', () => {
	let cluster: ClusterDatabase;
	let sink: SmtpSink;
	let a: AppServer;
	let b: AppServer;

	beforeAll(async () => {
		cluster = await createClusterDatabase(nodes);
		sink = await startSmtpSink();
		// The apps hash backup tokens with the secret this process seeds them with.
		const env = { MAIL_TRANSPORT: 'smtp', SMTP_URL: sink.url, AUTH_SECRET: getConfig().authSecret };
		a = await startAppServer({ ...env, DATABASE_URL: cluster.urls[0], MIGRATE_ON_START: 'true' });
		b = await startAppServer({ ...env, DATABASE_URL: cluster.urls[1], MIGRATE_ON_START: 'false' });
	});
	afterAll(async () => {
		await sink?.stop();
		await Promise.all([a?.stop(), b?.stop()]);
		await cluster?.database.drop();
	});

	async function login(user: SeededUser, on: AppServer): Promise<string> {
		const reply = await trpcMutation<{ sessionToken: string }>(on.origin, 'auth.login', {
			input: { username: user.username, password: user.password, tokenType: 'bearer' }
		});
		expect(reply.status).toBe(200);
		return reply.data!.sessionToken;
	}

	function verify(on: AppServer, pending: string, code: string) {
		return trpcMutation<{ status: string; sessionToken: string }>(on.origin, 'auth.verifyOtp', {
			input: { code },
			headers: bearer(pending)
		});
	}

	function verifiedSessions(userId: string) {
		return cluster.database.db
			.selectFrom('sessions')
			.select('id')
			.where('user_id', '=', userId)
			.where('state', '=', 'verified')
			.execute();
	}

	it('50 submissions of one correct code, split across both nodes [exactly one verified session; never a 500]', async () => {
		const user = await seedUser(cluster.database.db);
		const pending = await login(user, a);
		const { code } = await waitForCode(sink, user.email!);

		const replies = await Promise.all(
			Array.from({ length: 50 }, (_, i) => verify(i % 2 === 0 ? a : b, pending, code))
		);

		const outcomes = replies.map(outcome);
		expect(outcomes.filter((status) => status === 200)).toHaveLength(1);
		// The rest: the code is spent or its tries are used up, or (a transaction that lost its
		// conflict five times in a row) a clean "busy" with Retry-After. Never a 500.
		for (const reply of replies.filter((r) => r.status !== 200)) {
			expect([401, 429, 503]).toContain(reply.status);
			if (reply.status === 503) expect(reply.headers.get('retry-after')).toBe('1');
		}
		expect(await verifiedSessions(user.id)).toHaveLength(1);
	});

	it('one backup token given on both nodes at once, 5 rounds [works once each round; the other is told it is spent]', async () => {
		for (let round = 0; round < 5; round++) {
			const user = await seedUser(cluster.database.db);
			const [token] = await insertBackupTokens(cluster.database.db, user.id, 1);
			// The race under test is the token's; two logins of one account at once may themselves
			// collide on a node (the account's login counters) and be answered "busy", by design.
			const onA = await login(user, a);
			const onB = await login(user, b);

			const replies = await Promise.all([verify(a, onA, token!), verify(b, onB, token!)]);

			// The loser's transaction lost at COMMIT on its node, ran again, and found the token spent:
			// a plain "wrong code", neither a second session nor "busy".
			expect(replies.map(outcome).sort()).toEqual([200, 'UNAUTHORIZED']);
			expect(await verifiedSessions(user.id)).toHaveLength(1);
		}
	});

	it('wrong passwords alternating between the nodes [TOO_MANY_REQUESTS at the count of one server]', async () => {
		const user = await seedUser(cluster.database.db);
		const limit = policy.login.perUsernameAndAddress;

		const outcomes: Array<string | number> = [];
		for (let i = 0; i <= limit; i++) {
			const reply = await trpcMutation(i % 2 === 0 ? a.origin : b.origin, 'auth.login', {
				input: { username: user.username, password: 'not the password', tokenType: 'bearer' }
			});
			outcomes.push(outcome(reply));
		}

		expect(outcomes).toEqual([...Array<string>(limit).fill('UNAUTHORIZED'), 'TOO_MANY_REQUESTS']);
	});

	it('wrong codes alternating between the nodes [TOO_MANY_REQUESTS at the count of one server]', async () => {
		const user = await seedUser(cluster.database.db);
		const pending = await login(user, a);
		const { code } = await waitForCode(sink, user.email!);

		const outcomes: Array<string | number> = [];
		for (let i = 0; i <= policy.otp.backoffAfterFailures; i++) {
			outcomes.push(outcome(await verify(i % 2 === 0 ? a : b, pending, wrongCode(code))));
		}

		expect(outcomes).toEqual([
			...Array<string>(policy.otp.backoffAfterFailures).fill('UNAUTHORIZED'),
			'TOO_MANY_REQUESTS'
		]);
	});

	it('30 notices queued, a sender on each node [each mailed exactly once; every row sent after one try]', async () => {
		const recipients = Array.from({ length: 30 }, (_, i) => `queued-${i}@example.com`);
		// Queued through node 1 outside any request, so no sender is woken: both find them by polling
		// at about the same time and race for every row.
		for (const to of recipients) {
			await queueMail(cluster.database.db, {
				to,
				subject: 'A notice from the cluster test',
				text: 'text',
				html: '<p>html</p>'
			});
		}

		for (const to of recipients) {
			await sink.waitForMessage((mail) => mail.envelopeTo.includes(to), 30_000);
		}
		// Long enough for a second delivery of any row to arrive, were there one.
		await new Promise((resolve) => setTimeout(resolve, 6_000));

		for (const to of recipients) {
			expect(sink.messages.filter((mail) => mail.envelopeTo.includes(to))).toHaveLength(1);
		}
		const rows = await cluster.database.db
			.selectFrom('mail_queue')
			.select(['status', 'attempts'])
			.where('recipient', 'in', recipients)
			.execute();
		expect(rows).toHaveLength(30);
		expect(rows.every((row) => row.status === 'sent' && Number(row.attempts) === 1)).toBe(true);
	});
});
