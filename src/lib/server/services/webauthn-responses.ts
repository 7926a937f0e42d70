// Reading the parts of a browser's WebAuthn answer that decide which stored challenge and which
// user it is about, before the library verifies the rest. Plain base64url and JSON, as the library
// decodes them: importing its helpers would load all of it (auth/webauthn-library.ts says why
// that waits for the first security key).

/** The challenge the browser signed (from clientDataJSON), or null when it is unreadable. */
export function challengeOf(clientDataJSON: string): string | null {
	try {
		const { challenge } = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
		return typeof challenge === 'string' && /^[A-Za-z0-9_-]{1,256}$/.test(challenge)
			? challenge
			: null;
	} catch {
		return null;
	}
}

/** The user handle a key returned (our user id, as UTF-8 bytes), or null when it sent none. */
export function userHandleOf(userHandle: string | undefined): string | null {
	return userHandle ? Buffer.from(userHandle, 'base64url').toString('utf8') : null;
}

/** The user handle keys are registered with: the user's id, which is random and names nobody. */
export function userHandleFor(userId: string): Uint8Array<ArrayBuffer> {
	return new Uint8Array(Buffer.from(userId, 'utf8'));
}
