// Actions every page with sensitive changes spreads into its own: send a step-up code, then
// verify it. The procedures enforce step-up; these only let a form obtain it. They run the
// guard of the page's group, like every other action of the page.
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
		)
	};
}
