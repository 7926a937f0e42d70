// Actions every page with sensitive changes spreads into its own: send a step-up code, then
// verify it. The procedures enforce step-up; these only let a form obtain it. Like every
// action of a protected page, they first send anyone not verified to sign in.
import type { RequestEvent } from '@sveltejs/kit';
import { requireVerified } from './auth/page-guards';
import { failFromError } from './trpc/form-errors';
import { createServerCaller } from './trpc/caller';

export const stepUpActions = {
	stepUpRequest: async function stepUpRequest(event: RequestEvent) {
		requireVerified(event);
		const api = await createServerCaller(event);
		try {
			await api.auth.stepUp.request();
		} catch (error) {
			return failFromError(error);
		}
		return { stepUpSent: true };
	},

	stepUpVerify: async function stepUpVerify(event: RequestEvent) {
		requireVerified(event);
		const form = await event.request.formData();
		const api = await createServerCaller(event);
		try {
			await api.auth.stepUp.verify({ code: String(form.get('code') ?? '') });
		} catch (error) {
			const failure = failFromError(error);
			failure.data.stepUpSent = true;
			return failure;
		}
		return { stepUpDone: true };
	}
};
