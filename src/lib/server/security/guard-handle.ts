import type { Handle } from '@sveltejs/kit';
import { refuseFormPost, type PageActionsLookup } from './form-actions';
import { applyCachePolicy, applySecurityHeaders } from './headers';
import { guardTrpcRequest, type TrpcGuardOptions } from './trpc-guard';

export interface GuardOptions extends TrpcGuardOptions {
	/** The form actions each page defines (`pageActionsOf` reads them from the routes). */
	pageActions: PageActionsLookup;
}

/**
 * The outermost handle: refuses unsafe /trpc requests, and POSTs no form action of their page can
 * take (a name it does not define, a body that is not a readable form), before anything runs;
 * adds the security and cache headers to every answer.
 */
export function createGuardHandle(options: GuardOptions): Handle {
	return async ({ event, resolve }) => {
		const refusal =
			guardTrpcRequest(event.request, event.url, options) ??
			(await refuseFormPost(event, options.pageActions));
		const response = refusal ?? (await resolve(event));
		applySecurityHeaders(response.headers, event.url);
		applyCachePolicy(event.request, response.headers);
		return response;
	};
}
