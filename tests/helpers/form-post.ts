// Page forms posted the way a browser without JavaScript posts them: urlencoded, same-origin,
// asking for HTML, redirects left for the test to read.
import type { CookieJar } from '../../tools/sign-in';

export interface FormPostOptions {
	/** Sends its cookies and keeps what comes back. */
	jar?: CookieJar;
	/** Added to (or replacing) the browser's headers, e.g. X-Forwarded-For. */
	headers?: Record<string, string>;
}

/**
 * POSTs `fields` to `origin + path` (query and `?/action` included) and returns the response.
 * Pairs post a name more than once, as checkboxes do.
 */
export async function postForm(
	origin: string,
	path: string,
	fields: Record<string, string> | Array<[string, string]>,
	{ jar, headers = {} }: FormPostOptions = {}
): Promise<Response> {
	const cookie = jar?.header();
	const response = await fetch(origin + path, {
		method: 'POST',
		redirect: 'manual',
		headers: {
			accept: 'text/html',
			'content-type': 'application/x-www-form-urlencoded',
			origin,
			...(cookie ? { cookie } : {}),
			...headers
		},
		body: new URLSearchParams(fields).toString()
	});
	jar?.store(response);
	return response;
}

/**
 * A form's fields as each body type a browser can send cross-site without a preflight (the three
 * "simple" content types), for tests that a cross-site post is refused whatever its encoding.
 */
export const SIMPLE_FORM_BODIES: Record<string, (fields: Record<string, string>) => string> = {
	'application/x-www-form-urlencoded': (fields) => new URLSearchParams(fields).toString(),
	'multipart/form-data; boundary=x': (fields) =>
		Object.entries(fields)
			.map(([k, v]) => `--x\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
			.join('') + '--x--\r\n',
	'text/plain': (fields) =>
		Object.entries(fields)
			.map(([k, v]) => `${k}=${v}\r\n`)
			.join('')
};
