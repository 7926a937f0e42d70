import type { TRPCError } from '@trpc/server';
import { PublicError } from '../services/errors';

/**
 * Server-side record of failed calls. tRPC hands us the call's input too; it is deliberately
 * not logged, since inputs carry passwords, codes and tokens.
 */
export function logTrpcError({
	error,
	path,
	type
}: {
	error: TRPCError;
	path?: string;
	type: string;
}): void {
	// Expected failures (a service's own error, bad input) are answers, not incidents.
	if (error.code !== 'INTERNAL_SERVER_ERROR' || error.cause instanceof PublicError) return;
	const cause = error.cause ?? error;
	console.error(`[trpc] ${type} ${path ?? '?'} failed:`, cause.stack ?? cause.message);
}
