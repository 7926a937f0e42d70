import type { Handle } from '@sveltejs/kit';
import { refuseUnknownAction, type PageActionsLookup } from './form-actions';
import { applyCachePolicy, applySecurityHeaders } from './headers';
import { guardTrpcRequest, type TrpcGuardOptions } from './trpc-guard';

export interface GuardOptions extends TrpcGuardOptions {
	/** The form actions each page defines (`pageActionsOf` reads them from the routes). */
	pageActions: PageActionsLookup;
}

/**
 * The outermost handle: refuses unsafe /trpc requests and POSTs to form actions a page does not
 * have before anything runs; adds the security and cache headers to every answer.
 */
export function createGuardHandle(options: GuardOptions): Handle {
	return async ({ event, resolve }) => {
		const refusal =
			guardTrpcRequest(event.request, event.url, options) ??
			(await refuseUnknownAction(event, options.pageActions));
		const response = refusal ?? (await resolve(event));
		applySecurityHeaders(response.headers, event.url);
		applyCachePolicy(event.request, response.headers);
		return response;
	};
}
