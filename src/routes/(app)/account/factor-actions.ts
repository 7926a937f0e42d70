// The actions of the second-factor cards (authenticator app, security keys) and of the step-up
// panel they show, for the pages that show those cards: My account, and the enrolment page a
// session is held on until it sets up a factor its role requires (account/security). Each page
// passes its own group, so each action runs that page's guard.
import { fail, isActionFailure, type ActionFailure } from '@sveltejs/kit';
import type { VerifiedLocals } from '$lib/server/auth/page-guards';
import { jsonField } from '$lib/server/pages/form-json';
import type { PageGroup } from '$lib/server/pages/page-group';
import { qrCode } from '$lib/server/pages/qr';
import { stepUpActions } from '$lib/server/pages/step-up-actions';
import { failFromError, type FormFailure } from '$lib/server/trpc/form-errors';

/** The card a form lives in, so an answer is shown next to the form that caused it. */
export type Section =
	| 'email'
	| 'password'
	| 'twoFactor'
	| 'totp'
	| 'tokens'
	| 'securityKeys'
	| 'apiTokens'
	| 'sessions'
	| 'devices';

/** Cards with step-up changes: the step-up panel's forms say which one asked (?section=). */
const STEP_UP_SECTIONS: readonly Section[] = [
	'email',
	'twoFactor',
	'totp',
	'tokens',
	'securityKeys',
	'apiTokens'
];

function stepUpSection(url: URL): Section {
	const named = url.searchParams.get('section');
	return STEP_UP_SECTIONS.find((section) => section === named) ?? 'apiTokens';
}

/** The action, with its answer (success or failure) tagged with the card it belongs to. */
export function inCard<Event extends { url: URL }, T extends object>(
	section: Section | ((url: URL) => Section),
	action: (event: Event) => Promise<T | ActionFailure<FormFailure>>
) {
	return async (event: Event) => {
		const card = typeof section === 'function' ? section(event.url) : section;
		const result = await action(event);
		if (isActionFailure(result)) {
			// isActionFailure narrows to ActionFailure<undefined>; the action's type says FormFailure.
			const data = result.data as unknown as FormFailure;
			return fail(result.status, { ...data, section: card });
		}
		return { ...(result as Exclude<T, ActionFailure<unknown>>), section: card };
	};
}

/**
 * An authenticator setup as the card shows it: the secret as text and the URI as a QR code drawn
 * on the server. Only action answers carry it, never a load: it is shown to whoever started it.
 */
function enrolmentShown(enrolment: {
	enrolmentId: string;
	secret: string;
	uri: string;
	expiresAt: Date;
}) {
	return { totpEnrolment: { ...enrolment, qr: qrCode(enrolment.uri) } };
}

/** Setting up an authenticator app or adding a security key, and the step-up both need first. */
export function factorActions(page: PageGroup<VerifiedLocals>) {
	const stepUp = stepUpActions(page);
	return {
		// The secret is in this response only; a wrong code brings the same setup back (read again
		// through the step-up tier), so the form works without JavaScript too.
		totpBegin: inCard(
			'totp',
			page.action(async ({ api }) => enrolmentShown(await api.totp.begin()))
		),

		totpConfirm: inCard(
			'totp',
			page.action(async ({ api, text }) => {
				try {
					const { replaced } = await api.totp.confirm({
						enrolmentId: text('enrolmentId'),
						code: text('code')
					});
					return { totpConfirmed: true, totpReplaced: replaced };
				} catch (error) {
					const failure = failFromError(error);
					const pending = failure.data.stepUpRequired
						? null
						: await api.totp.pending().catch(() => null);
					return fail(failure.status, {
						...failure.data,
						...(pending ? enrolmentShown(pending) : {})
					});
				}
			})
		),

		// Adding a security key takes two requests with the key's prompt between them (the card's
		// script): the options (a challenge for this session; step-up first), then the key's answer.
		securityKeyOptions: inCard(
			'securityKeys',
			page.action(async ({ api }) => ({
				securityKeyOptions: await api.securityKeys.registrationOptions()
			}))
		),

		addSecurityKey: inCard(
			'securityKeys',
			page.action(
				async ({ api, text, values }) => {
					const response = jsonField(text('response')) as never;
					const { key } = await api.securityKeys.register({ name: values.name, response });
					return { securityKeyAdded: key.name };
				},
				{ values: ['name'] }
			)
		),

		// The two-factor address, the authenticator, backup tokens, security keys and API tokens need
		// step-up: the card that asked shows the prompt and the answer.
		stepUpRequest: inCard(stepUpSection, stepUp.stepUpRequest),
		stepUpVerify: inCard(stepUpSection, stepUp.stepUpVerify),
		stepUpKeyOptions: inCard(stepUpSection, stepUp.stepUpKeyOptions),
		stepUpKeyVerify: inCard(stepUpSection, stepUp.stepUpKeyVerify)
	};
}
