// Bench mode only (404 otherwise): the users-page query with no session, the baseline that
// `npm run bench` measures the session, tRPC and page costs against. It answers the same bytes
// as `users.list` (tRPC's envelope around superjson), so the api/baseline ratio prices what
// security adds (the session check, the procedure tiers), not the choice of wire format.
import { error, json } from '@sveltejs/kit';
import superjson from 'superjson';
import { listBaselineUsers } from '$lib/server/bench/baseline';
import { getConfig } from '$lib/server/config';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async () => {
	if (!getConfig().benchMode) error(404, 'Not Found');
	return json({ result: { data: superjson.serialize(await listBaselineUsers()) } });
};
