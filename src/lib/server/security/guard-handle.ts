import type { Handle } from '@sveltejs/kit';
import { applyCachePolicy, applySecurityHeaders } from './headers';
import { guardTrpcRequest, type TrpcGuardOptions } from './trpc-guard';

/** The outermost handle: refuses unsafe /trpc requests before anything runs; adds headers. */
export function createGuardHandle(options: TrpcGuardOptions): Handle {
	return async ({ event, resolve }) => {
		const refusal = guardTrpcRequest(event.request, event.url, options);
		const response = refusal ?? (await resolve(event));
		applySecurityHeaders(response.headers, event.url);
		applyCachePolicy(event.request, response.headers);
		return response;
	};
}
