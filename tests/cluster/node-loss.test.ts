// A node of the cluster dies (SIGKILL, no goodbye) while both app instances are signing people
// in. Every sign-in that was answered as done must still be there on the surviving node, and the
// instance on that node must keep signing people in. Node 1 weighs 2 in the test cluster
// (scripts/galera.sh), so it keeps the majority and stays primary; node 2 rejoins afterwards.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAppServer, type AppServer } from '../../tools/app-server';
import { createClusterDatabase, type ClusterDatabase } from '../../tools/galera';
import { seedUser, trpcMutation, trpcQuery, waitForCode } from '../../tools/sign-in';
import { startSmtpSink, type SmtpSink } from '../../tools/smtp-sink';

const nodes = inject('galeraUrls');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const galera = (...args: string[]) =>
	execFileSync('bash', ['scripts/galera.sh', ...args], { stdio: 'pipe' });

describe.runIf(nodes.length === 2)('losing a Galera node under load', () => {
	let cluster: ClusterDatabase;
	let sink: SmtpSink;
	let a: AppServer;
	let b: AppServer;

	beforeAll(async () => {
		cluster = await createClusterDatabase(nodes);
		sink = await startSmtpSink();
		const env = { MAIL_TRANSPORT: 'smtp', SMTP_URL: sink.url };
		a = await startAppServer({ ...env, DATABASE_URL: cluster.urls[0], MIGRATE_ON_START: 'true' });
		b = await startAppServer({ ...env, DATABASE_URL: cluster.urls[1], MIGRATE_ON_START: 'false' });
	});
	afterAll(async () => {
		await sink?.stop();
		await Promise.all([a?.stop(), b?.stop()]);
		// Node 2 rejoins (an incremental transfer from node 1), so the tier ends as it began.
		galera('start-node', '2');
		await cluster?.database.drop();
	});

	/** Password then code on one instance: the verified token, or null when it did not finish. */
	async function signIn(on: AppServer): Promise<string | null> {
		const user = await seedUser(cluster.database.db);
		try {
			const login = await trpcMutation<{ sessionToken: string }>(on.origin, 'auth.login', {
				input: { username: user.username, password: user.password, tokenType: 'bearer' }
			});
			if (login.status !== 200) return null;
			const { code } = await waitForCode(sink, user.email!);
			const verified = await trpcMutation<{ sessionToken: string }>(on.origin, 'auth.verifyOtp', {
				input: { code },
				headers: bearer(login.data!.sessionToken)
			});
			return verified.status === 200 ? verified.data!.sessionToken : null;
		} catch {
			return null; // the instance's node went away mid-request
		}
	}

	it('node 2 is killed mid-load [every answered sign-in survives on node 1; node 1 keeps serving]', async () => {
		const done: string[] = [];
		let stop = false;
		const loops = Array.from({ length: 4 }, async (_, i) => {
			while (!stop) {
				const token = await signIn(i % 2 === 0 ? a : b);
				if (token) done.push(token);
			}
		});
		await new Promise((resolve) => setTimeout(resolve, 3_000));
		const beforeKill = done.length;
		galera('kill-node', '2');
		await new Promise((resolve) => setTimeout(resolve, 3_000));
		stop = true;
		await Promise.all(loops);

		expect(beforeKill).toBeGreaterThan(0);
		// Every session that was answered as verified, on either instance, is on node 1.
		for (const token of done) {
			const sessions = await trpcQuery(a.origin, 'account.sessions', { headers: bearer(token) });
			expect(sessions.status).toBe(200);
		}
		// And node 1's instance still signs people in from start to end.
		for (let i = 0; i < 3; i++) expect(await signIn(a)).not.toBeNull();
	});
});
