// Bench mode only (404 otherwise): the users-page query with no session, the baseline that
// `npm run bench` measures the session, tRPC and page costs against.
import { error, json } from '@sveltejs/kit';
import { listBaselineUsers } from '$lib/server/bench/baseline';
import { getConfig } from '$lib/server/config';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async () => {
	if (!getConfig().benchMode) error(404, 'Not Found');
	return json(await listBaselineUsers());
};
