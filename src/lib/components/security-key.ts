// The browser's side of a security key: a form action hands out the options (a challenge bound to
// this session), the browser asks the key, and the key's answer goes back in a second form's
// hidden `response` field. Both steps are form actions, so a refusal (step-up needed, a wrong
// answer) comes back to the page like any other form's. The key needs JavaScript; the forms'
// pages say so when it is off.
import type { SubmitFunction } from '@sveltejs/kit';
import {
	startAuthentication,
	startRegistration,
	WebAuthnError,
	type PublicKeyCredentialCreationOptionsJSON,
	type PublicKeyCredentialRequestOptionsJSON
} from '@simplewebauthn/browser';

export { browserSupportsWebAuthn } from '@simplewebauthn/browser';

export interface AskKey {
	/** `create` registers a new key; `get` asks a registered one to sign. */
	kind: 'create' | 'get';
	/** Where the options action puts them in its answer. */
	optionsField: string;
	/** The form that sends the key's answer (it has a hidden `response` field). */
	answerForm: () => HTMLFormElement | undefined;
	/** A message for the person when the browser or the key gave up. */
	onProblem: (message: string | null) => void;
	onBusy?: (busy: boolean) => void;
}

/** `use:enhance` for the form whose action returns the options. */
export function askSecurityKey(ask: AskKey): SubmitFunction {
	return () => {
		ask.onBusy?.(true);
		ask.onProblem(null);
		return async ({ result, update }) => {
			try {
				const data = result.type === 'success' ? result.data : undefined;
				const options = data?.[ask.optionsField];
				// A refusal (or a redirect): the page shows it as it shows any form's answer.
				if (!options) return await update({ reset: false });
				const response =
					ask.kind === 'create'
						? await startRegistration({
								optionsJSON: options as PublicKeyCredentialCreationOptionsJSON
							})
						: await startAuthentication({
								optionsJSON: options as PublicKeyCredentialRequestOptionsJSON
							});
				const form = ask.answerForm();
				const field = form?.elements.namedItem('response');
				if (!form || !(field instanceof HTMLInputElement)) return;
				field.value = JSON.stringify(response);
				form.requestSubmit();
			} catch (error) {
				ask.onProblem(describeProblem(error));
			} finally {
				ask.onBusy?.(false);
			}
		};
	};
}

/** What went wrong on the browser's side, in words. */
function describeProblem(error: unknown): string {
	if (
		error instanceof WebAuthnError &&
		error.code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED'
	) {
		return 'This security key is already registered.';
	}
	const name = error instanceof Error ? error.name : '';
	if (name === 'NotAllowedError' || name === 'AbortError') {
		return 'The security key did not answer: the prompt was cancelled or timed out. Try again.';
	}
	if (name === 'SecurityError') {
		return 'The browser refused to use a security key for this site address.';
	}
	return 'The security key could not be used. Try again, or use another way.';
}
