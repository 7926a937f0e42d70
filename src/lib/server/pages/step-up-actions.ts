// Actions every page with sensitive changes spreads into its own: send a step-up code, then
// verify it; or, with a security key, ask for a challenge and send the key's answer (the page's
// script talks to the key between the two, so that way needs JavaScript). The procedures enforce
// step-up; these only let a form obtain it. They run the guard of the page's group, like every other action of the page.
import { fail } from '@sveltejs/kit';
import { jsonField } from './form-json';
import { stepUpMethodsOf, type PageGroup } from './page-group';
import type { VerifiedLocals } from '../auth/page-guards';
import { failFromError } from '../trpc/form-errors';

export function stepUpActions(page: PageGroup<VerifiedLocals>) {
	return {
		stepUpRequest: page.action(async ({ api }) => {
			await api.auth.stepUp.request();
			return { stepUpSent: true, stepUpMethods: await stepUpMethodsOf(api) };
		}),

		// A wrong code keeps its form on screen: the emailed code's while stepUpSent, the
		// authenticator's while stepUpTotp (StepUp.svelte).
		stepUpVerify: page.action(async ({ api, text }) => {
			const totp = text('method') === 'totp';
			try {
				await api.auth.stepUp.verify({ code: text('code'), ...(totp ? { method: 'totp' } : {}) });
				return { stepUpDone: true };
			} catch (error) {
				const failure = failFromError(error);
				const form = totp ? { stepUpTotp: true } : { stepUpSent: true };
				const stepUpMethods = await stepUpMethodsOf(api);
				return fail(failure.status, { ...failure.data, ...form, stepUpMethods });
			}
		}),

		// A failure keeps the step-up panel on screen (StepUp.svelte shows it while stepUpRequired).
		stepUpKeyOptions: page.action(
			async ({ api }) => ({
				stepUpKeyOptions: await api.auth.webauthn.stepUpOptions(),
				stepUpRequired: true,
				stepUpMethods: await stepUpMethodsOf(api)
			}),
			{ failure: { stepUpRequired: true } }
		),

		stepUpKeyVerify: page.action(
			async ({ api, text }) => {
				await api.auth.webauthn.stepUpVerify({ response: jsonField(text('response')) as never });
				return { stepUpDone: true };
			},
			{ failure: { stepUpRequired: true } }
		)
	};
}
