// Actions every page with sensitive changes spreads into its own: send a step-up code, then
// verify it. The procedures enforce step-up; these only let a form obtain it. They run the
// guard of the page's group, like every other action of the page.
import { fail } from '@sveltejs/kit';
import type { PageGroup } from './page-group';
import type { VerifiedLocals } from '../auth/page-guards';
import { failFromError } from '../trpc/form-errors';

export function stepUpActions(page: PageGroup<VerifiedLocals>) {
	return {
		stepUpRequest: page.action(async ({ api }) => {
			await api.auth.stepUp.request();
			return { stepUpSent: true };
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
				return fail(failure.status, { ...failure.data, ...form });
			}
		})
	};
}
