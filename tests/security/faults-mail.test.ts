// Faults in mail delivery, over HTTP against the production build: the SMTP server refuses
// connections, or accepts them and never says a word. Sign-in must answer within the mail
// timeout (10 s per SMTP step, transport.ts), keep the session pending, tell the user clearly,
// and work once a real server answers on the same port, without restarting the app.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type AppServer } from '../../tools/app-server';
import { createMigratedDatabase, dialects, type TestDatabase } from '../../tools/databases';
import {
	CookieJar,
	seedUser,
	trpcMutation,
	trpcQuery,
	waitForCode,
	type SeededUser,
	type TrpcReply
} from '../../tools/sign-in';
import {
	startSilentSmtpServer,
	startSmtpSink,
	unusedPort,
	type SmtpSink
} from '../../tools/smtp-sink';

/** The mail timeout (10 s) plus room for a loaded machine. */
const ANSWER_WITHIN_MS = 12_000;
const RESEND_COOLDOWN_S = 1;

interface BrokenSmtp {
	port: number;
	stop(): Promise<void>;
}

const FAULTS: Array<[string, () => Promise<BrokenSmtp>]> = [
	['refuses connections', async () => ({ port: await unusedPort(), stop: async () => {} })],
	['accepts the connection and never answers', startSilentSmtpServer]
];

interface Me {
	session: { state: 'pending_otp' | 'verified' };
}

describe.each(dialects)('Faults: the SMTP server is down (%s)', (dialect) => {
	let database: TestDatabase;

	beforeAll(async () => {
		database = await createMigratedDatabase(dialect);
	});
	afterAll(() => database?.drop());

	describe.each(FAULTS)('when it %s', (_, startBroken) => {
		let broken: BrokenSmtp;
		let app: AppServer;
		let sink: SmtpSink | undefined;

		beforeAll(async () => {
			broken = await startBroken();
			app = await startAppServer({
				DATABASE_URL: database.url,
				MAIL_TRANSPORT: 'smtp',
				SMTP_URL: `smtp://127.0.0.1:${broken.port}`,
				OTP_RESEND_COOLDOWN_SECONDS: String(RESEND_COOLDOWN_S)
			});
		});
		afterAll(async () => {
			await app?.stop();
			await sink?.stop();
			await broken?.stop();
		});

		// One user's story, in order: signing in while mail is down, asking again, mail coming back.
		const jar = new CookieJar();
		let user: SeededUser;
		const replies: TrpcReply<unknown>[] = [];

		const sessionState = async () =>
			(await trpcQuery<Me | null>(app.origin, 'auth.me', { jar })).data?.session.state;
		/** A mutation with this user's cookie, and how long it took to answer. */
		async function mutate(path: string, input: unknown): Promise<[TrpcReply<unknown>, number]> {
			const started = Date.now();
			const headers = { origin: app.origin };
			const reply = await trpcMutation(app.origin, path, { input, headers, jar });
			replies.push(reply);
			return [reply, Date.now() - started];
		}

		it('password login [answers within 12 s: otp_required, codeSent false; session pending]', async () => {
			user = await seedUser(database.db);
			const [login, ms] = await mutate('auth.login', {
				username: user.username,
				password: user.password
			});
			expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
			expect(login.status).toBe(200);
			expect(login.data).toMatchObject({ status: 'otp_required', codeSent: false });
			expect(await sessionState()).toBe('pending_otp');
		});

		it('resend [clear error within 12 s, no stack or address in the body; session still pending]', async () => {
			// Past the cooldown, so the resend really tries to send.
			await sleep(RESEND_COOLDOWN_S * 1000 + 100);
			const [resend, ms] = await mutate('auth.resendOtp', {});
			expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
			expect(resend.status).toBe(500);
			expect(resend.error?.message).toMatch(/could not be sent/i);
			expect(await sessionState()).toBe('pending_otp');
			for (const reply of replies) {
				expect(reply.body).not.toMatch(/\n\s+at |stack|ECONNREFUSED|ETIMEDOUT|127\.0\.0\.1/);
			}
		});

		it('resend once a real server answers on that port [code delivered; sign-in completes, no restart]', async () => {
			await broken.stop();
			sink = await startSmtpSink({ port: broken.port });
			await sleep(RESEND_COOLDOWN_S * 1000 + 100);
			const [retry] = await mutate('auth.resendOtp', {});
			expect(retry.status).toBe(200);
			const { code } = await waitForCode(sink, user.email!);
			const [verify] = await mutate('auth.verifyOtp', { code });
			expect(verify.status).toBe(200);
			expect(await sessionState()).toBe('verified');

			const log = app.output();
			expect(log).toMatch(/\[mail\] sign-in code not sent/);
			expect(log).not.toContain(code);
			expect(log).not.toContain(jar.get('session')!);
		});
	});
});
