import { dev } from '$app/environment';
import type { HandleServerError, ServerInit } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { createTRPCHandle } from 'trpc-sveltekit';
import { createSessionHandle } from '$lib/server/auth/handle-session';
import { createGuardHandle } from '$lib/server/security/guard-handle';
import { pageActionsOf } from '$lib/server/security/page-actions';
import { startServer } from '$lib/server/startup';
import { createContext } from '$lib/server/trpc/context';
import { logTrpcError } from '$lib/server/trpc/log';
import { procedureKindOf } from '$lib/server/trpc/procedure-kind';
import { retryResponseMeta } from '$lib/server/trpc/response-meta';
import { appRouter } from '$lib/server/trpc/router';

const TRPC_PREFIX = '/trpc';
const MAX_BATCH_SIZE = 10;

export const init: ServerInit = () => startServer({ dev });

/** Outermost, so it protects everything behind it, including routes added later. */
const handleGuard = createGuardHandle({
	prefix: TRPC_PREFIX,
	maxBatchSize: MAX_BATCH_SIZE,
	procedureKind: (path) => procedureKindOf(appRouter, path),
	pageActions: pageActionsOf
});

const handleSession = createSessionHandle({ trpcPrefix: TRPC_PREFIX });

const handleTrpc = createTRPCHandle({
	router: appRouter,
	url: TRPC_PREFIX,
	createContext,
	responseMeta: ({ data, errors }) => retryResponseMeta(data.length, errors),
	onError: logTrpcError
});

export const handle = sequence(handleGuard, handleSession, handleTrpc);

/** Unexpected errors: logged here, while the page only ever sees SvelteKit's generic message. */
export const handleError: HandleServerError = ({ error, status, message }) => {
	if (status >= 500) console.error('[server]', error instanceof Error ? error.stack : error);
	return { message };
};
