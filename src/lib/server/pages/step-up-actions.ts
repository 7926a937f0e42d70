// Actions every page with sensitive changes spreads into its own: send a step-up code, then
// verify it; or, with a security key, ask for a challenge and send the key's answer (the page's
// script talks to the key between the two, so that way needs JavaScript). The procedures enforce step-up; these only let a form obtain it. They run the
// guard of the page's group, like every other action of the page.
import { jsonField } from './form-json';
import type { PageGroup } from './page-group';
import type { VerifiedLocals } from '../auth/page-guards';

export function stepUpActions(page: PageGroup<VerifiedLocals>) {
	return {
		stepUpRequest: page.action(async ({ api }) => {
			await api.auth.stepUp.request();
			return { stepUpSent: true };
		}),

		// A wrong code keeps the code form on screen (StepUp.svelte shows it while stepUpSent).
		stepUpVerify: page.action(
			async ({ api, text }) => {
				await api.auth.stepUp.verify({ code: text('code') });
				return { stepUpDone: true };
			},
			{ failure: { stepUpSent: true } }
		),

		// A failure keeps the step-up panel on screen (StepUp.svelte shows it while stepUpRequired).
		stepUpKeyOptions: page.action(
			async ({ api }) => ({ stepUpKeyOptions: await api.auth.webauthn.stepUpOptions() }),
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
