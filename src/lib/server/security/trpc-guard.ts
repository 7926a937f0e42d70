// Rules every request to /trpc passes before a procedure (or even its context) runs.
// SvelteKit's own CSRF check only covers form content types, and trpc-sveltekit parses any
// body as JSON, so a cross-site `fetch` with `text/plain` or no content type would otherwise
// reach mutations with the victim's cookie.
import superjson from 'superjson';
import { hasSessionCookie } from './credentials';

export type ProcedureKind = 'query' | 'mutation' | 'subscription';

export interface TrpcGuardOptions {
	/** Where tRPC is mounted, e.g. `/trpc`. */
	prefix: string;
	/** Most procedures one HTTP request may batch. */
	maxBatchSize: number;
	/** The kind of the procedure at a path, or undefined when there is none. */
	procedureKind: (path: string) => ProcedureKind | undefined;
}

type Refusal = { status: 400 | 403 | 405; code: string; message: string };

const TRPC_ERROR_NUMBERS: Record<string, number> = {
	BAD_REQUEST: -32600,
	FORBIDDEN: -32003,
	METHOD_NOT_SUPPORTED: -32005
};

/** Returns the response that refuses the request, or null when it may go on to tRPC. */
export function guardTrpcRequest(
	request: Request,
	url: URL,
	options: TrpcGuardOptions
): Response | null {
	if (!url.pathname.startsWith(options.prefix + '/')) return null;
	const paths = procedurePaths(url, options.prefix);
	const refusal = findRefusal(request, url, paths, options);
	if (!refusal) return null;
	// A batch gets one error per call, unless it is the oversized batch being refused.
	const batchSize =
		isBatch(url) && paths && paths.length <= options.maxBatchSize ? paths.length : 0;
	return refusalResponse(refusal, batchSize);
}

/**
 * The procedures tRPC will call, read exactly as @trpc/server 10 reads them behind
 * trpc-sveltekit 3.6.3 (which passes the raw path on): a batch's path is percent-decoded, then
 * split on `,`, so `a%2Cb` is two calls and `auth%2Elogout` is `auth.logout`; a single call's
 * path is used as it is. Null when a batch's path is not valid percent-encoding.
 */
function procedurePaths(url: URL, prefix: string): string[] | null {
	const path = url.pathname.slice(prefix.length + 1);
	if (!isBatch(url)) return [path];
	try {
		return decodeURIComponent(path).split(',');
	} catch {
		return null;
	}
}

/** tRPC's own test: any non-empty `batch` parameter, `batch=0` included. */
function isBatch(url: URL): boolean {
	return Boolean(url.searchParams.get('batch'));
}

function findRefusal(
	request: Request,
	url: URL,
	paths: string[] | null,
	options: TrpcGuardOptions
): Refusal | null {
	const method = request.method;
	if (method !== 'GET' && method !== 'POST') {
		return { status: 405, code: 'METHOD_NOT_SUPPORTED', message: 'Use GET or POST' };
	}
	if (method === 'POST' && isFromBrowser(request) && !isSameOriginJson(request, url)) {
		return { status: 403, code: 'FORBIDDEN', message: 'Cross-site request refused' };
	}
	// tRPC would throw while decoding it, an internal error (500) for a client's mistake.
	if (paths === null) {
		return { status: 400, code: 'BAD_REQUEST', message: 'Malformed procedure path' };
	}
	if (paths.length > options.maxBatchSize) {
		return {
			status: 400,
			code: 'BAD_REQUEST',
			message: `At most ${options.maxBatchSize} calls per batch`
		};
	}
	// tRPC maps GET to queries already; refusing here as well means a mutation can never be
	// reached by a link, an <img> or a prefetch, whatever a future tRPC option changes.
	if (method === 'GET' && paths.some((path) => options.procedureKind(path) === 'mutation')) {
		return { status: 405, code: 'METHOD_NOT_SUPPORTED', message: 'Mutations need POST' };
	}
	return null;
}

// CORS: none, on purpose (same-origin browser use only). Pages on other origins get no
// Access-Control-Allow-* headers, so they cannot read answers, and their POSTs stop above. To let
// one named origin call the API: answer its preflight (OPTIONS, refused here) before this guard
// with `Access-Control-Allow-Origin: <that origin>`, `-Methods: GET, POST` and `-Headers:
// authorization, content-type`; add Allow-Origin and `Vary: Origin` to its responses; let
// isSameOriginJson accept that Origin with `Sec-Fetch-Site: cross-site`; and have it send bearer
// tokens, never cookies (no Allow-Credentials).

/** Browsers send one of these on their own; tools with a bearer token send none. */
function isFromBrowser(request: Request): boolean {
	const headers = request.headers;
	if (headers.has('origin') || headers.has('sec-fetch-site')) return true;
	return hasSessionCookie(headers.get('cookie'));
}

function isSameOriginJson(request: Request, url: URL): boolean {
	const headers = request.headers;
	const mediaType = headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
	if (mediaType !== 'application/json') return false;
	const fetchSite = headers.get('sec-fetch-site');
	if (fetchSite !== null && fetchSite !== 'same-origin') return false;
	const origin = headers.get('origin');
	if (origin !== null) return origin === url.origin;
	return fetchSite === 'same-origin';
}

function refusalResponse(refusal: Refusal, batchSize: number): Response {
	// The same envelope tRPC uses, so @trpc/client reports it like any other error.
	const error = superjson.serialize({
		message: refusal.message,
		code: TRPC_ERROR_NUMBERS[refusal.code],
		data: { code: refusal.code, httpStatus: refusal.status }
	});
	const body = batchSize > 0 ? Array.from({ length: batchSize }, () => ({ error })) : { error };
	const headers = new Headers({ 'content-type': 'application/json' });
	if (refusal.status === 405) headers.set('allow', 'GET, POST');
	return new Response(JSON.stringify(body), { status: refusal.status, headers });
}
