// Authenticator apps in tests: enrol one through the API as a person would (begin, then confirm
// with the app's current code), and compute the codes an app would show at a given time.
import { codeForStep, stepAt, TOTP_PERIOD_SECONDS } from '$lib/server/auth/totp';
import type { Caller } from './api-harness';

/** One time step, in milliseconds. */
export const STEP_MS = TOTP_PERIOD_SECONDS * 1000;

/** The code an authenticator app shows at `at` (now unless told), `offset` steps away. */
export function totpCode(secret: string, offset = 0, at = Date.now()): string {
	return codeForStep(secret, stepAt(at) + offset);
}

/**
 * Sets up an authenticator for the caller (a verified session with a recent code) and confirms it
 * with the code of the current step, which is then spent: the next code to use is a later step's.
 */
export async function enrolTotp(caller: Caller): Promise<{ secret: string; enrolmentId: string }> {
	const enrolment = await caller.totp.begin();
	await caller.totp.confirm({
		enrolmentId: enrolment.enrolmentId,
		code: totpCode(enrolment.secret)
	});
	return { secret: enrolment.secret, enrolmentId: enrolment.enrolmentId };
}
