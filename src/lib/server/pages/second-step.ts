// What the pages that ask for a second factor (/login/verify after the password, and
// /login/reset/<token> before a new password) share: the ways they offer, the times and choices
// their own actions carry in the URL (a form replaces the query string), and a pasted code.

/** Every way a page may offer, in the order the API lists them (preferred first). */
export type SecondStepMethod = 'webauthn' | 'totp' | 'email' | 'backup_token';
export const SECOND_STEP_METHODS: readonly SecondStepMethod[] = [
	'webauthn',
	'totp',
	'email',
	'backup_token'
];

/** A time in ms from the query string, or null. */
export function timeParam(url: URL, name: string): number | null {
	const value = Number(url.searchParams.get(name));
	return Number.isSafeInteger(value) && value > 0 ? value : null;
}

/** The named parameters of `url` that the page passes on to its actions and redirects. */
export function carriedQuery(url: URL, names: readonly string[]): URLSearchParams {
	const query = new URLSearchParams();
	for (const name of names) {
		const value = url.searchParams.get(name);
		if (value) query.set(name, value);
	}
	return query;
}

/** A code pasted as `123 456` or `123-456` is still the code; backup tokens keep their dashes. */
export function pastedCode(input: string): string {
	const digits = input.replace(/[\s-]/g, '');
	return /^\d+$/.test(digits) ? digits : input;
}

/** The page's carried query with each method chosen: for its forms and "use another way". */
export function queryForEachMethod(
	url: URL,
	names: readonly string[]
): Record<SecondStepMethod, string> {
	return Object.fromEntries(
		SECOND_STEP_METHODS.map((method) => {
			const query = carriedQuery(url, names);
			query.set('method', method);
			return [method, query.toString()];
		})
	) as Record<SecondStepMethod, string>;
}
