// The code mail as a relay: a member asks for a code to a new two-factor address, which anyone
// can type. The mail goes from the app's own sender to an address that has proven nothing, so it
// must carry nothing the caller chose, go out once per cooldown however many requests race for
// it, and answer a lost race with a clean refusal, never a 500.
import { setTimeout as sleep } from 'node:timers/promises';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { getPolicy, type AuthPolicy } from '$lib/server/auth/policy';
import { requestOtpEmailChange } from '$lib/server/services/two-factor-email';
import { useApiHarness } from '../helpers/api-harness';
import { dialects } from '../../tools/databases';
import { NEW_ADDRESS_SUBJECT, seedUser, waitForAddressCode } from '../../tools/sign-in';
import { testDeps } from '../../tools/service-deps';

const policy = getPolicy();
/** Caps high enough that only the cooldown can decide a race. */
const UNCAPPED: AuthPolicy = {
	...policy,
	otp: { ...policy.otp, maxSendsPerHour: 1000, maxNewAddressMailsPerHour: 1000 }
};
const PHISHING =
	'URGENT from IT: your account will be closed, sign in at https://evil.example/reset now';

describe.each(dialects)('the two-factor address code as a relay on %s', (dialect) => {
	const api = useApiHarness(dialect);

	it('a User-Agent carrying a phishing text asks for a code to a stranger [the mail holds only the code and its expiry: no browser, no address, no account]', async () => {
		const user = await seedUser(api.db);
		const caller = await api.callerFor(await api.signIn(user), {
			userAgent: PHISHING,
			ip: '198.51.100.23'
		});
		const stranger = `stranger-${user.username}@example.net`;
		await caller.twoFactor.requestEmail({ email: stranger });
		const { mail, code } = await waitForAddressCode(api.sink, stranger);
		for (const body of [mail.text, mail.html ?? '', mail.subject]) {
			for (const word of ['URGENT', 'evil.example', '198.51.100.23', user.username, user.email!]) {
				expect(body).not.toContain(word);
			}
		}
		expect(mail.text).toContain(code);
	});

	it('25 requests at once for codes to new addresses from one account, 5 rounds [one mail, one pending change, one audit row; the rest TOO_MANY_REQUESTS; never a 500]', async () => {
		for (let round = 0; round < 5; round++) {
			const user = await seedUser(api.db);
			const mark = api.sink.messages.length;
			const actor = { actorId: user.id, ip: '203.0.113.7', userAgent: 'vitest' };
			const settled = await Promise.allSettled(
				Array.from({ length: 25 }, (_, i) =>
					sleep(i % 3).then(() =>
						requestOtpEmailChange(
							testDeps(api.db, { mailer: api.mailer, policy: UNCAPPED }),
							actor,
							user.id,
							`race${i}-${user.username}@example.net`
						)
					)
				)
			);
			const refused = settled.flatMap((result) =>
				result.status === 'rejected' ? [result.reason as Error] : []
			);
			expect(settled.length - refused.length, `round ${round}`).toBe(1);
			for (const error of refused) expect(error.name).toBe('TooManyRequestsError');
			const pending = await api.db
				.selectFrom('otp_email_changes')
				.select('email')
				.where('user_id', '=', user.id)
				.execute();
			expect(pending).toHaveLength(1);
			const audited = await api.db
				.selectFrom('audit_log')
				.select('event')
				.where('subject_id', '=', user.id)
				.where('event', '=', 'two_factor.email_requested')
				.execute();
			expect(audited).toHaveLength(1);
			await waitForAddressCode(api.sink, pending[0]!.email);
			await sleep(100); // a second mail, had one gone out, would be in by now
			const sent = api.sink.messages
				.slice(mark)
				.filter((mail) => mail.subject === NEW_ADDRESS_SUBJECT);
			expect(sent.map((mail) => mail.envelopeTo)).toEqual([[pending[0]!.email]]);
		}
	});

	it('25 twoFactor.requestEmail calls at once from one session [exactly one mail; every other answer TOO_MANY_REQUESTS, none a 500]', async () => {
		const user = await seedUser(api.db);
		const caller = await api.callerFor(await api.signIn(user));
		const mark = api.sink.messages.length;
		const settled = await Promise.allSettled(
			Array.from({ length: 25 }, (_, i) =>
				caller.twoFactor.requestEmail({ email: `burst${i}-${user.username}@example.net` })
			)
		);
		const codes = settled.map((result) =>
			result.status === 'fulfilled' ? 'OK' : (result.reason as TRPCError).code
		);
		expect(codes.filter((code) => code === 'OK')).toHaveLength(1);
		expect(codes.filter((code) => code === 'TOO_MANY_REQUESTS')).toHaveLength(24);
		await sleep(100);
		const sent = api.sink.messages.slice(mark).filter((m) => m.subject === NEW_ADDRESS_SUBJECT);
		expect(sent).toHaveLength(1);
	});
});
